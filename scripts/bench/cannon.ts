// A separate process for the concurrent rows: autocannon runs in a fresh process, so the load it
// makes does not depend on what the benchmark's own process did before (its heap, the 50 MB
// payloads, its timers). Runs 2 untimed seconds of the same load (JIT warm-up), then the timed run,
// and prints the figures the table needs as JSON.
// usage: BENCH_CANNON=<autocannon options as JSON, plus the CannonOptions below> cannon.ts
// (in the environment: the options carry the token; BENCH_CANNON_SECRET the signing secret of
// the fresh-token mode)
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';

export interface CannonOptions {
  /** POST runs/log-metric, every request a new point of this run. */
  logMetricRunId?: string;
  /** POST runs/log-batch of 1,000 new metric points of this run per request. */
  logBatchRunId?: string;
  /** 9 GET registered-models/get, then 1 PATCH registered-models/update of the same models, in turn. */
  mixedModels?: string[];
  /** Every request with a token signed for it (BENCH_CANNON_SECRET): a first verification each time. */
  freshTokens?: { subject: string; groups: string[] };
}

const { logMetricRunId, logBatchRunId, mixedModels, freshTokens, ...opts } = JSON.parse(process.env.BENCH_CANNON ?? '{}') as autocannon.Options & CannonOptions;
const secret = process.env.BENCH_CANNON_SECRET ?? '';
// Every write a new point (a repeated one is a different path: the retry that skips it).
let seq = 0;
if (logMetricRunId) {
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
if (logBatchRunId) {
  opts.requests = [
    {
      method: 'POST',
      headers: opts.headers,
      setupRequest: (req) => {
        seq += 1;
        const metrics = Array.from({ length: 1000 }, (_, j) => ({ key: `c${j % 10}`, value: (j + 1) / 1001, timestamp: 1_700_000_000_000 + seq, step: seq * 100 + Math.floor(j / 10) }));
        return { ...req, body: JSON.stringify({ run_id: logBatchRunId, metrics }) };
      },
    },
  ];
}
if (mixedModels) {
  // opts.url is …/api/2.0/mlflow/registered-models/get; the update goes to its sibling route.
  const prefix = new URL(opts.url).pathname.replace(/\/registered-models\/get$/, '');
  const at = (route: string) => `${prefix}/${route}`;
  let n = 0;
  const name = () => mixedModels[n++ % mixedModels.length]!;
  opts.requests = [
    ...Array.from({ length: 9 }, () => ({
      method: 'GET' as const,
      headers: opts.headers,
      setupRequest: (req: autocannon.Request) => ({ ...req, path: `${at('registered-models/get')}?name=${encodeURIComponent(name())}` }),
    })),
    {
      method: 'PATCH', // as MLflow routes it (service.proto § UpdateRegisteredModel)
      headers: opts.headers,
      setupRequest: (req) => {
        seq += 1;
        return { ...req, path: at('registered-models/update'), body: JSON.stringify({ name: name(), description: `benchmark write ${seq}` }) };
      },
    },
  ];
}
if (freshTokens) {
  opts.requests = [
    {
      method: opts.method ?? 'GET',
      setupRequest: (req) => {
        seq += 1;
        // A distinct jti per request: two tokens signed in the same second would otherwise be the same string.
        const token = jwt.sign({ groups: freshTokens.groups }, secret, { algorithm: 'HS256', subject: freshTokens.subject, expiresIn: '1h', jwtid: `bench-${process.pid}-${seq}` });
        return { ...req, headers: { ...(req.headers ?? {}), ...(opts.headers ?? {}), Authorization: `Bearer ${token}` } };
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
    timeouts: r.timeouts,
  };
  process.stdout.write(JSON.stringify(figures));
}

export interface CannonFigures {
  rate: number;
  p50: number;
  p97_5: number;
  p99: number;
  errors: number;
  /** Requests that had no answer within autocannon's 10 s (counted in errors too). */
  timeouts: number;
}

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
