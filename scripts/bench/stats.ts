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
 * never write what a timed call writes. `prepare` builds each call's input outside the timing, so a
 * row measures the request, not the client composing its body.
 */
export async function timeEach<T = undefined>(
  n: number,
  fn: (i: number, input: T) => Promise<void>,
  warmup = Math.ceil(n / 5),
  prepare: (i: number) => T = () => undefined as T,
): Promise<{ samples: number[]; totalMs: number }> {
  for (let k = 0; k < warmup; k++) await fn(n + k, prepare(n + k));
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const input = prepare(i);
    const t0 = performance.now();
    await fn(i, input);
    samples.push(performance.now() - t0);
  }
  return { samples, totalMs: performance.now() - start };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
