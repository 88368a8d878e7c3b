/** Latency percentiles and simple timing for the benchmark rows. */
export interface Summary {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

export function summarize(samplesMs: number[]): Summary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: s.length };
}

/**
 * Runs `fn` n times and times each call, after `warmup` untimed calls (a fifth of n by default) so
 * the service's JIT has compiled its hot paths. Warm-up calls get the indices n, n+1, ... so they
 * never write what a timed call writes.
 */
export async function timeEach(n: number, fn: (i: number) => Promise<void>, warmup = Math.ceil(n / 5)): Promise<{ samples: number[]; totalMs: number }> {
  for (let k = 0; k < warmup; k++) await fn(n + k);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return { samples, totalMs: performance.now() - start };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
