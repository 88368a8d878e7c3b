import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { freePort } from '../helpers/registry-process';
import { tokenFor } from '../helpers/tokens';
import { createModel, grant, transition } from './registry-fixtures';
import { abc, ABC_COLUMNS, onnxVersion, registerVersion } from './serving-fixtures';

/**
 * The standalone serving job (`npm run serve-model`, src/cli/serve-model.ts) as a process of its
 * own against a registry on the test database: MLflow's model-server endpoints and formats, and the
 * switch to a newly promoted version under load with no failed request. The models are linear
 * (y = a + 2b + 3c + bias), so each answer says which version gave it.
 */
const root = path.resolve(__dirname, '../..');
let t: TestApp;
let name: string;

interface Job {
  proc: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

function spawnJob(args: string[], env: Record<string, string> = {}): Omit<Job, 'url'> {
  const full: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...env };
  for (const k of ['REGISTRY_URL', 'REGISTRY_TOKEN', 'MODEL_URI', 'PORT', 'POLL_INTERVAL']) if (!(k in env)) delete full[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve-model.ts', ...args], { cwd: root, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

async function startJob(token = tokenFor('serving-job')): Promise<Job> {
  const port = await freePort();
  const job = spawnJob([], {
    REGISTRY_URL: t.baseUrl,
    REGISTRY_TOKEN: token,
    MODEL_URI: `models:/${name}/Production`,
    PORT: String(port),
    POLL_INTERVAL: '300ms',
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  let gone = false;
  void job.exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the serving job exited:\n${job.output()}`);
    if (Date.now() > until) throw new Error(`the serving job did not answer /ping:\n${job.output()}`);
    const ok = await fetch(`${url}/ping`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { ...job, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopJob(job: Job | undefined): Promise<void> {
  if (!job || job.proc.exitCode !== null) return;
  job.proc.kill('SIGTERM');
  const timer = setTimeout(() => job.proc.kill('SIGKILL'), 10_000);
  await job.exited;
  clearTimeout(timer);
}

const invoke = (job: Job, body: unknown, contentType = 'application/json') =>
  fetch(`${job.url}/invocations`, { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });

let job: Job | undefined;

beforeAll(async () => {
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  const alice = t.as('alice');
  name = await createModel(alice);
  await registerVersion(t, name, onnxVersion(abc(0.5), ABC_COLUMNS)); // v1: bias 0.5
  await registerVersion(t, name, onnxVersion(abc(100), ABC_COLUMNS)); // v2: bias 100
  await transition(alice, name, '1', 'Production').expect(200);
  await grant(t, name, 'serving-job', 'USE');
  job = await startJob();
}, 60_000);
afterAll(async () => {
  await stopJob(job);
  await t.close();
});

describe('MLflow model-server endpoints', () => {
  it('answers /ping and /health with 200 once loaded, and /version', async () => {
    for (const p of ['/ping', '/health']) {
      const res = await fetch(`${job!.url}${p}`);
      expect({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '\n' });
    }
    const version = await fetch(`${job!.url}/version`);
    expect(version.status).toBe(200);
    expect(await version.text()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('scores every input format of the scoring protocol', async () => {
    const expected = { predictions: [{ output: 6.5 }, { output: 5.5 }] };
    const bodies = [
      {
        dataframe_split: {
          columns: ['a', 'b', 'c'],
          data: [
            [1, 1, 1],
            [2, 0, 1],
          ],
        },
      },
      {
        dataframe_records: [
          { a: 1, b: 1, c: 1 },
          { a: 2, b: 0, c: 1 },
        ],
      },
      {
        instances: [
          { a: 1, b: 1, c: 1 },
          { a: 2, b: 0, c: 1 },
        ],
      },
      { inputs: { a: [1, 2], b: [1, 0], c: [1, 1] } },
    ];
    for (const body of bodies) {
      const res = await invoke(job!, body);
      expect({ status: res.status, version: res.headers.get('x-registry-model-version'), body: await res.json() }).toEqual({ status: 200, version: '1', body: expected });
    }
    const csv = await invoke(job!, 'a,b,c\n1,1,1\n2,0,1\n', 'text/csv');
    expect({ status: csv.status, body: await csv.json() }).toEqual({ status: 200, body: expected });
  });

  it("answers bad input with MLflow's error body, and unknown paths with 404", async () => {
    const bad = await invoke(job!, { dataframe_split: { columns: ['a', 'b'], data: [[1, 1]] } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(/\bc\b/);
    const notJson = await invoke(job!, '{not json');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error_code: string }).error_code).toMatch(/BAD_REQUEST|INVALID_PARAMETER_VALUE/);
    const missing = await fetch(`${job!.url}/predict`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('following the registry', () => {
  it('switches to a newly promoted version under load with no failed request, without a restart', async () => {
    const row = { dataframe_records: [{ a: 1, b: 1, c: 1 }] };
    const seen: Array<{ status: number; output?: number; sentAt: number; doneAt: number }> = [];
    let stop = false;
    const load = async () => {
      while (!stop) {
        const sentAt = performance.now();
        const res = await invoke(job!, row);
        const body = (await res.json()) as { predictions?: Array<{ output: number }> };
        seen.push({ status: res.status, output: body.predictions?.[0]?.output, sentAt, doneAt: performance.now() });
      }
    };
    const workers = [load(), load(), load(), load()];
    await new Promise((r) => setTimeout(r, 500));
    await transition(t.as('alice'), name, '2', 'Production', true).expect(200);
    const until = Date.now() + 20_000;
    while (!seen.some((s) => s.output === 106) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    const outputs = seen.map((s) => s.output);
    expect(outputs[0]).toBe(6.5);
    expect(outputs.at(-1)).toBe(106);
    // Once switched, never back: every request sent after the first answer of v2 is answered by v2.
    const switchedAt = Math.min(...seen.filter((s) => s.output === 106).map((s) => s.doneAt));
    expect(seen.filter((s) => s.sentAt > switchedAt && s.output !== 106)).toEqual([]);
    expect(seen.length).toBeGreaterThan(50);
    expect(new Set(outputs)).toEqual(new Set([6.5, 106]));
    expect(job!.proc.exitCode).toBeNull();
    expect(job!.output()).toMatch(/serving version 2/);
  }, 40_000);

  it('refuses to start with a token that cannot USE the model, saying why', async () => {
    const port = await freePort();
    const refused = spawnJob(['--registry', t.baseUrl, '--token', tokenFor('stranger'), '--model', `models:/${name}/Production`, '--port', String(port)]);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/403.*PERMISSION_DENIED.*USE/s);
    const usage = spawnJob(['--registry', t.baseUrl, '--model', 'runs:/abc/model']);
    expect(await usage.exited).toBe(2);
    expect(usage.output()).toMatch(/is not models:\/<name>/);
  }, 30_000);
});
