import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type RegistryProcess, spawnRegistry, stopRegistry, waitUntilAnswering } from '../helpers/registry-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { tokenFor } from '../helpers/tokens';

/**
 * SIGTERM on the real entry point (src/main.ts): requests in flight finish within SHUTDOWN_GRACE_MS,
 * new connections are refused, answers say Connection: close; what is still running after the grace
 * is cut, and the temp files of cut uploads are removed at the next start.
 */
const TEMP_PREFIX = '.registry-upload-';
const token = tokenFor('admin', { admin: true });

let db: TestDatabase;
let dataDir: string;
let registry: RegistryProcess | undefined;
const spawned: RegistryProcess[] = [];
let run: { experimentId: string; runId: string };
const sockets: net.Socket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-shutdown-'));
});
afterEach(() => {
  // A failed test must not leave a connection that keeps the next process draining.
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  for (const r of spawned) await stopRegistry(r);
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

const artifactPath = (name: string) => `/api/2.0/mlflow-artifacts/artifacts/${run.experimentId}/${run.runId}/artifacts/${name}`;
const runDir = () => path.join(dataDir, 'artifacts', run.experimentId, run.runId, 'artifacts');
const tempFilesIn = (dir: string): string[] => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => path.basename(f).startsWith(TEMP_PREFIX)) : []);

async function start(env: Record<string, string> = {}): Promise<RegistryProcess> {
  registry = await spawnRegistry({ DATA_DIR: dataDir, DATABASE_URL: db.url, ...env });
  spawned.push(registry);
  await waitUntilAnswering(registry, '/ready');
  return registry;
}

async function post<T>(r: RegistryProcess, p: string, body: unknown): Promise<T> {
  const res = await fetch(`${r.url}/api/2.0/mlflow/${p}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function received(s: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => s.once('close', () => resolve(Buffer.concat(chunks))));
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits HTTP/1.1 responses with Content-Length bodies, one after the other. */
function parseAnswers(data: Buffer): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine = '', ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

const refused = (port: number) =>
  connect(port).then(
    (s) => {
      s.destroy();
      return false;
    },
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startUpload(s: net.Socket, name: string, length: number, first: Buffer): void {
  s.write(`PUT ${artifactPath(name)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`);
  s.write(first);
}

describe('graceful shutdown', () => {
  it('removes, at start, the temp files of uploads an earlier run left unfinished, keeping everything else', async () => {
    // Left by a process killed mid-upload: a temp file in a run's folder, and one alone in its own.
    const kept = path.join(dataDir, 'artifacts', '9', 'old-run', 'artifacts', 'model.bin');
    const stale = path.join(path.dirname(kept), `${TEMP_PREFIX}0123456789abcdef.tmp`);
    const alone = path.join(dataDir, 'artifacts', '9', 'other-run', 'artifacts', 'dir', `${TEMP_PREFIX}fedcba9876543210.tmp`);
    for (const f of [kept, stale, alone]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, 'x');
    }
    const otherRun = path.join(dataDir, 'artifacts', '9', 'other-run');
    const r = await start();
    // The run the later tests use, made first so they do not fail for this test's reasons.
    const { experiment_id } = await post<{ experiment_id: string }>(r, 'experiments/create', { name: 'shutdown' });
    const created = await post<{ run: { info: { run_id: string } } }>(r, 'runs/create', { experiment_id });
    run = { experimentId: experiment_id, runId: created.run.info.run_id };
    // The sweep runs after start in the background: each file goes first, then the folders it alone kept.
    for (let i = 0; [stale, alone, otherRun].some((f) => fs.existsSync(f)) && i < 200; i++) await sleep(50);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(alone)).toBe(false);
    // Directories only the temp file kept are gone too (listings show no empty folder); the rest stays.
    expect(fs.existsSync(otherRun)).toBe(false);
    expect(fs.readFileSync(kept, 'utf8')).toBe('x');
  });

  it('on SIGTERM lets an upload and a download in flight finish, refuses new connections and closes kept-alive ones', async () => {
    const r = registry!;
    const big = randomBytes(24 * 1024 * 1024);
    const put = await fetch(`${r.url}${artifactPath('big.bin')}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: big });
    expect(put.status).toBe(200);

    // An upload with half its body sent.
    const upload = await connect(r.port);
    const uploaded = received(upload);
    const body = randomBytes(1024 * 1024);
    startUpload(upload, 'slow.bin', body.length, body.subarray(0, body.length / 2));
    // A download the client reads slowly.
    const download = await connect(r.port);
    download.write(`GET ${artifactPath('big.bin')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    download.pause();
    const downloaded = received(download);
    await sleep(300);

    r.proc.kill('SIGTERM');
    await sleep(500);
    expect(await refused(r.port)).toBe(true);
    expect(r.proc.exitCode).toBeNull();
    // The client sends another request on the kept-alive connection, while the download still runs.
    download.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');

    upload.write(body.subarray(body.length / 2));
    const [putAnswer] = parseAnswers(await uploaded);
    expect(putAnswer?.status).toBe(200);
    expect(putAnswer?.headers.connection).toBe('close');

    download.resume();
    const [file, health] = parseAnswers(await downloaded);
    expect(file?.status).toBe(200);
    expect(file?.body.length).toBe(big.length);
    expect(file?.body.equals(big)).toBe(true);
    // The request that came in on the kept-alive connection is answered, and the connection closed.
    expect(health?.status).toBe(200);
    expect(health?.headers.connection).toBe('close');

    const exit = await r.exited;
    expect(exit.code).toBe(0);
    expect(fs.readFileSync(path.join(runDir(), 'slow.bin')).equals(body)).toBe(true);
    expect(tempFilesIn(runDir())).toEqual([]);
  }, 30_000);

  it('cuts what is still running after SHUTDOWN_GRACE_MS and exits', async () => {
    const r = await start({ SHUTDOWN_GRACE_MS: '1000' });
    const upload = await connect(r.port);
    const uploaded = received(upload);
    startUpload(upload, 'never.bin', 1024 * 1024, randomBytes(1000));
    await sleep(300);
    const signalledAt = performance.now();
    r.proc.kill('SIGTERM');
    const exit = await r.exited;
    expect(exit.code).toBe(0);
    expect(exit.atMs - signalledAt).toBeGreaterThan(900);
    expect(exit.atMs - signalledAt).toBeLessThan(5000);
    expect(parseAnswers(await uploaded)).toEqual([]);
    expect(fs.existsSync(path.join(runDir(), 'never.bin'))).toBe(false);
  }, 30_000);

  it('with WORKERS=2 the primary passes SIGTERM on and the workers let their requests finish', async () => {
    const r = await start({ WORKERS: '2', SHUTDOWN_GRACE_MS: '10000' });
    // A cut upload of the previous process, if its temp file outlived it, is gone now.
    for (let i = 0; tempFilesIn(runDir()).length > 0 && i < 100; i++) await sleep(50);
    expect(tempFilesIn(runDir())).toEqual([]);

    const upload = await connect(r.port);
    const uploaded = received(upload);
    const body = randomBytes(256 * 1024);
    startUpload(upload, 'worker.bin', body.length, body.subarray(0, 1000));
    await sleep(300);
    r.proc.kill('SIGTERM');
    await sleep(700);
    expect(r.proc.exitCode).toBeNull();
    upload.write(body.subarray(1000));
    const [answer] = parseAnswers(await uploaded);
    expect(answer?.status).toBe(200);
    expect(answer?.headers.connection).toBe('close');
    expect((await r.exited).code).toBe(0);
    expect(fs.readFileSync(path.join(runDir(), 'worker.bin')).equals(body)).toBe(true);
  }, 30_000);
});
