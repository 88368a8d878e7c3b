// The whole flight-delay walk-through against a running registry (README in this folder):
// train → log to a run → register → promote to Production → serve (serving job + delay service) →
// train on other data → promote → the same service answers with the new model, nothing restarted.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startDelayService } from './delay-service';
import { type Country, exportModel, fit, makeFlights, predict, type Season, SUMMER, toCsv, WINTER } from './flights';
import { RegistryClient } from './registry-client';

const root = path.resolve(__dirname, '../..');

export const MODEL_NAME = 'modelo_atrasos';
export const SERVING_USER = 'flight-delay-serving';
/** The routes the walk-through asks, before and after the second promotion. */
export const ROUTES: ReadonlyArray<[Country, Country]> = [
  ['Brazil', 'Canada'],
  ['France', 'Japan'],
  ['Mexico', 'Chile'],
];

export interface ExampleOptions {
  registryUrl: string;
  /** A token that may create experiments and models and grant permissions (an admin's, or a model owner's). */
  adminToken: string;
  /** Mints a token for `user` that the registry accepts (the serving job gets one for SERVING_USER, which holds only USE). */
  tokenFor(user: string): Promise<string> | string;
  /** How often the serving job polls the registry (default 1s). */
  pollInterval?: string;
  /** Port of the delay service (default 0: any free one). */
  servicePort?: number;
  log?: (line: string) => void;
}

export interface Answer {
  origem: Country;
  destino: Country;
  atraso: number;
  /** What the model computes in TypeScript, for comparison. */
  expected: number;
}

export interface ExampleResult {
  versions: string[];
  before: Answer[];
  after: Answer[];
  /** The serving job's process id, the same before and after: nothing restarted. */
  servingJobPid: number[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Trains on one season's flights, logs everything to a run and registers the model; returns the version. */
async function trainAndRegister(client: RegistryClient, experimentId: string, season: Season, log: (l: string) => void) {
  const flights = makeFlights(season, 3000);
  const model = fit(flights);
  const { runId, artifactUri } = await client.startRun(experimentId, `least-squares-${season.name}`);
  await client.logBatch(runId, { season: season.name, rows: String(flights.length), features: 'one-hot origem + destino', ridge: '0.001' }, { rmse: model.rmse });
  await client.logArtifact(artifactUri, 'data/flights.csv', Buffer.from(toCsv(flights)));
  for (const [file, bytes] of Object.entries(exportModel(model, runId))) await client.logArtifact(artifactUri, `model/${file}`, bytes);
  await client.endRun(runId);
  const version = await client.createVersion(MODEL_NAME, runId, `least squares on ${flights.length} ${season.name} flights (rmse ${model.rmse.toFixed(1)} min)`);
  log(`trained on ${flights.length} ${season.name} flights (rmse ${model.rmse.toFixed(1)} min), logged to run ${runId}, registered as version ${version}`);
  return { version, model };
}

async function ask(serviceUrl: string, model: { weights: number[]; intercept: number }): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const [origem, destino] of ROUTES) {
    const res = await fetch(`${serviceUrl}/api/v1/modelo_atrasos/origem=${origem}/destino=${destino}`);
    if (!res.ok) throw new Error(`the delay service answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { origem: Country; destino: Country; atraso: number };
    answers.push({ ...body, expected: Math.round(predict(model, origem, destino)) });
  }
  return answers;
}

function startServingJob(o: ExampleOptions, token: string, port: number, log: (l: string) => void): { proc: ChildProcess; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REGISTRY_URL: o.registryUrl,
    REGISTRY_TOKEN: token,
    MODEL_URI: `models:/${MODEL_NAME}/Production`,
    PORT: String(port),
    POLL_INTERVAL: o.pollInterval ?? '1s',
    LOG_LEVEL: 'warn',
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve-model.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d: Buffer) => log(`  [serving job] ${d.toString().trim()}`));
  proc.stderr.on('data', (d: Buffer) => log(`  [serving job] ${d.toString().trim()}`));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, exited };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const show = (answers: Answer[]) =>
  answers.map((a) => `    GET /api/v1/modelo_atrasos/origem=${a.origem}/destino=${a.destino} → ${JSON.stringify({ origem: a.origem, destino: a.destino, atraso: a.atraso })}`).join('\n');

export async function runExample(o: ExampleOptions): Promise<ExampleResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const client = new RegistryClient(o.registryUrl, o.adminToken);
  let job: { proc: ChildProcess; exited: Promise<number | null> } | undefined;
  let service: Server | undefined;
  try {
    const experimentId = await client.experimentId('flight-delay');
    await client.ensureModel(MODEL_NAME, 'Minutes of delay of a flight from its origin and destination (examples/flight-delay).');
    const first = await trainAndRegister(client, experimentId, SUMMER, log);
    await client.promote(MODEL_NAME, first.version);
    log(`promoted version ${first.version} to Production`);

    // The serving job holds a token with USE only: it sees Production and protected aliases, nothing else.
    await client.grantUse(MODEL_NAME, SERVING_USER);
    const jobPort = await freePort();
    job = startServingJob(o, await o.tokenFor(SERVING_USER), jobPort, log);
    const jobUrl = `http://127.0.0.1:${jobPort}`;
    let gone = false;
    void job.exited.then(() => (gone = true));
    await waitFor(
      'the serving job',
      async () => {
        if (gone) throw new Error('the serving job exited');
        return (await fetch(`${jobUrl}/ping`)).ok;
      },
      30_000,
    );
    const pid = job.proc.pid!;
    log(`serving job (pid ${pid}) serves models:/${MODEL_NAME}/Production on ${jobUrl}`);
    const started = await startDelayService(jobUrl, o.servicePort ?? 0);
    service = started.server;
    log(`delay service on ${started.url}`);

    const before = await ask(started.url, first.model);
    log(`answers with version ${first.version}:\n${show(before)}`);

    const second = await trainAndRegister(client, experimentId, WINTER, log);
    await client.promote(MODEL_NAME, second.version);
    log(`promoted version ${second.version} to Production; the serving job picks it up at its next poll`);
    await waitFor(
      'the new version to answer',
      async () => {
        const [a] = await ask(started.url, second.model);
        return a!.atraso === a!.expected && a!.atraso !== before[0]!.atraso;
      },
      30_000,
    );
    const after = await ask(started.url, second.model);
    log(`answers with version ${second.version} (same service, same serving job pid ${job.proc.pid}):\n${show(after)}`);
    if (gone) throw new Error('the serving job exited');
    return { versions: [first.version, second.version], before, after, servingJobPid: [pid, job.proc.pid!] };
  } finally {
    await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
    if (job && job.proc.exitCode === null) {
      job.proc.kill('SIGTERM');
      await job.exited;
    }
  }
}
