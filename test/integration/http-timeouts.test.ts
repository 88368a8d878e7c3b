import type { Server } from 'node:http';
import net from 'node:net';
import { createApp } from '../../src/app';
import { createHttpServer } from '../../src/http/http-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';

/**
 * Request timeouts (README "Operations"), with small bounds: headers and JSON bodies must arrive in
 * time; uploads may take as long as they need while bytes keep moving.
 */
const HEADERS_MS = 500;
const BODY_MS = 800;
const IDLE_MS = 700;

let t: TestApp;
let server: Server;
let port: number;
let run: RunFixture;
let auth: string;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  t = await startTestApp();
  run = await createRun(t, 'admin');
  auth = `Authorization: Bearer ${t.as('admin').token}\r\n`;
  server = createHttpServer(createApp(t.container), { headersTimeoutMs: HEADERS_MS, bodyTimeoutMs: BODY_MS, streamIdleTimeoutMs: IDLE_MS });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Exchange {
  socket: net.Socket;
  /** What the server sent so far. */
  text(): string;
  /** What the server sent, and how long after the start it closed the connection (undefined: still open). */
  result: Promise<{ text: string; closedAfterMs: number }>;
}

function open(): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('connect', () => {
      const started = performance.now();
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', () => undefined);
      const result = new Promise<{ text: string; closedAfterMs: number }>((done) => socket.once('close', () => done({ text, closedAfterMs: performance.now() - started })));
      resolve({ socket, result, text: () => text });
    });
  });
}

/** Writes `bytes` one at a time, `everyMs` apart, while the connection is open. */
async function dribble(socket: net.Socket, bytes: string, everyMs: number): Promise<void> {
  for (const ch of bytes) {
    if (socket.destroyed) return;
    socket.write(ch);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits for the close, at most `ms` (the result says 'open' if the server kept the connection). */
async function closedWithin(e: Exchange, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), ms)));
  return Promise.race([e.result, open]).finally(() => clearTimeout(timer));
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('request timeouts', () => {
  it('cuts a JSON body sent byte by byte after the body timeout with 408 in MLflow’s error format', async () => {
    const e = await open();
    const body = JSON.stringify({ name: 'slow-body-experiment-with-a-long-name' });
    e.socket.write(`POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    // 100 ms a byte: the whole body would take 4 s.
    void dribble(e.socket, body, 100);
    const r = await closedWithin(e, 3000);
    expect(r).not.toBe('open');
    if (r === 'open') return;
    expect(statusOf(r.text)).toBe(408);
    expect(r.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(bodyOf(r.text))).toEqual({ error_code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('HTTP_BODY_TIMEOUT_MS') });
    expect(r.closedAfterMs).toBeGreaterThan(BODY_MS - 50);
    expect(r.closedAfterMs).toBeLessThan(BODY_MS + 1500);
    // Nothing was created.
    await t.as().get('/api/2.0/mlflow/experiments/get-by-name', { experiment_name: 'slow-body-experiment-with-a-long-name' }).expect(404);
  });

  it('lets the same slowness through on an upload route', async () => {
    const e = await open();
    const content = 'slow-upload-content!';
    e.socket.write(`PUT ${PROXY}/artifacts/${run.root}/slow.txt HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${content.length}\r\nConnection: close\r\n\r\n`);
    // 20 bytes, 100 ms apart: 2 s, well past the body timeout, but never idle for long.
    await dribble(e.socket, content, 100);
    const r = await closedWithin(e, 3000);
    expect(r).not.toBe('open');
    if (r === 'open') return;
    expect(statusOf(r.text)).toBe(200);
    expect(r.closedAfterMs).toBeGreaterThan(BODY_MS + 500);
    const res = await fetch(`${t.baseUrl}${PROXY}/artifacts/${run.root}/slow.txt`, { headers: { Authorization: `Bearer ${t.as('admin').token}` } });
    expect(await res.text()).toBe(content);
  });

  it('cuts an upload whose client stops sending for longer than the idle timeout', async () => {
    const e = await open();
    e.socket.write(`PUT ${PROXY}/artifacts/${run.root}/stalled.txt HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 1000\r\n\r\nsome bytes, then nothing`);
    const r = await closedWithin(e, 3000);
    expect(r).not.toBe('open');
    if (r === 'open') return;
    expect(r.closedAfterMs).toBeGreaterThan(IDLE_MS - 50);
    expect(r.closedAfterMs).toBeLessThan(IDLE_MS + 1500);
    expect((await fetch(`${t.baseUrl}${PROXY}/artifacts/${run.root}/stalled.txt`, { headers: { Authorization: `Bearer ${t.as('admin').token}` } })).status).toBe(404);
  });

  it('cuts a client that sends its headers too slowly', async () => {
    const e = await open();
    e.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    void dribble(e.socket, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n', 100);
    const r = await closedWithin(e, 3000);
    expect(r).not.toBe('open');
    if (r === 'open') return;
    expect(statusOf(r.text)).toBe(408);
    expect(r.closedAfterMs).toBeLessThan(HEADERS_MS + 1500);
  });

  it('counts the body timeout per request, not per kept-alive connection', async () => {
    const e = await open();
    const answered = () => e.text().match(/HTTP\/1\.1 200/g)?.length ?? 0;
    for (const [i, name] of ['kept-alive-1', 'kept-alive-2'].entries()) {
      const body = JSON.stringify({ name });
      e.socket.write(`POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      // About 500 ms per body: each in time, both together not.
      await dribble(e.socket, body, Math.floor(500 / body.length));
      for (let n = 0; answered() < i + 1 && n < 100; n++) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(answered()).toBe(2);
    expect(e.socket.destroyed).toBe(false);
    await t.as().get('/api/2.0/mlflow/experiments/get-by-name', { experiment_name: 'kept-alive-2' }).expect(200);
  });
});
