import fs from 'node:fs';

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

/** The machine's busy and total CPU time so far, from /proc/stat (jiffies of all cores). */
function cpuTimes(): { busy: number; total: number } {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - (n[3] ?? 0) - (n[4] ?? 0), total }; // idle and iowait are not busy
}

/**
 * Waits until the machine is quiet: under 15 % of its CPU busy over a quarter of a second, for at
 * most `maxMs`. A server that queues requests (MLflow's gunicorn workers) goes on answering a load
 * after its clients left; the next row, on either server, must not be measured beside that.
 */
export async function waitForQuiet(log: (m: string) => void, maxMs = 60_000): Promise<void> {
  const start = performance.now();
  for (;;) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 250));
    const b = cpuTimes();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.15) return;
    if (performance.now() - start > maxMs) return log(`the machine is still ${(busy * 100).toFixed(0)} % busy after ${maxMs / 1000} s; measuring anyway`);
  }
}
