// A separate process for the concurrent rows: autocannon runs in a fresh process, so the load it
// makes does not depend on what the benchmark's own process did before (its heap, the 50 MB
// payloads, its timers). Runs 2 untimed seconds of the same load (JIT warm-up), then the timed run,
// and prints the figures the table needs as JSON.
// usage: BENCH_CANNON=<autocannon options as JSON, plus logMetricRunId for the log-metric row> cannon.ts
// (in the environment: the options carry the token)
import autocannon from 'autocannon';

const { logMetricRunId, ...opts } = JSON.parse(process.env.BENCH_CANNON ?? '{}') as autocannon.Options & { logMetricRunId?: string };
if (logMetricRunId) {
  // Every log-metric a new point (a repeated one is a different path: the retry that skips it).
  let seq = 0;
  opts.requests = [
    {
      method: 'POST',
      headers: opts.headers,
      setupRequest: (req) => {
        seq += 1;
        return { ...req, body: JSON.stringify({ run_id: logMetricRunId, key: `k${seq % 16}`, value: Math.random(), timestamp: 1_700_000_000_000 + seq, step: seq }) };
      },
    },
  ];
}

function run(o: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(o, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main(): Promise<void> {
  await run({ ...opts, duration: 2 });
  const r = await run(opts);
  const figures: CannonFigures = {
    rate: r.requests.average,
    p50: r.latency.p50,
    p97_5: r.latency.p97_5,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
  process.stdout.write(JSON.stringify(figures));
}

export interface CannonFigures {
  rate: number;
  p50: number;
  p97_5: number;
  p99: number;
  errors: number;
}

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
