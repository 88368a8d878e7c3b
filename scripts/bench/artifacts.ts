// npx tsx scripts/bench/artifacts.ts --url http://127.0.0.1:5000 --token <admin jwt> [--size-mb 1024]
//   [--key bench/<stamp>/payload.bin] [--pid <server pid>] [--data-dir <server DATA_DIR>] [--no-verify] [--chunked]
// Uploads and downloads one generated file through the artifact proxy (PUT/GET
// /api/2.0/mlflow-artifacts/artifacts/<key>, streamed both ways, never buffered) and prints MB/s next
// to the same bytes written and read straight through the same kind of store: S3/MinIO when
// S3_ENDPOINT (+ S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY) is set in this shell, else the local
// filesystem store under --data-dir. With the server's pid (--pid, or found from the URL's port for a
// local server) it samples the server's RSS every 50 ms and prints the growth.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseCommandLine, withUsage } from '../../src/cli/args';
import { loadConfig } from '../../src/config';
import type { ArtifactStore } from '../../src/storage/artifact-store';
import { LocalArtifactStore } from '../../src/storage/local-artifact-store';
import { S3ArtifactStore } from '../../src/storage/s3-artifact-store';

const MB = 1024 * 1024;

/** `size` bytes from a 1 MiB random block with the chunk number stamped in: cheap to make, never one buffer. */
function payload(size: number): Readable {
  const block = Buffer.alloc(MB);
  for (let i = 0; i < MB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  let sent = 0;
  let n = 0;
  return new Readable({
    highWaterMark: MB,
    read() {
      if (sent >= size) return void this.push(null);
      const len = Math.min(MB, size - sent);
      const chunk = Buffer.from(block.subarray(0, len));
      chunk.writeUInt32LE(n++, 0);
      sent += len;
      this.push(chunk);
    },
  });
}

function hasher(enabled: boolean) {
  const h = createHash('sha256');
  const t = new Transform({
    transform(c: Buffer, _e, done) {
      if (enabled) h.update(c);
      done(null, c);
    },
  });
  return Object.assign(t, { hex: () => (enabled ? h.digest('hex') : 'not verified') });
}

async function drain(source: AsyncIterable<Buffer>, verify: boolean): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of source) {
    if (verify) h.update(c);
    bytes += c.length;
  }
  return { bytes, sha256: verify ? h.digest('hex') : 'not verified' };
}

function request(url: string, options: http.RequestOptions): { req: http.ClientRequest; res: Promise<http.IncomingMessage> } {
  const req = (url.startsWith('https:') ? https : http).request(url, options);
  const res = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  return { req, res };
}

/** Resident set size of a process in MB, from /proc. */
function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The pid listening on a local TCP port (Linux /proc), for a server on this machine. */
function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(1) : [];
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      }
    } catch {
      /* not ours to read */
    }
  }
  return undefined;
}

/** Samples a process's RSS every 50 ms while `work` runs. */
async function watchRss<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ value: T; peakMb?: number }> {
  if (pid === undefined) return { value: await work() };
  let peak = rssMb(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }, 50);
  try {
    const value = await work();
    return { value, peakMb: Math.max(peak, rssMb(pid) ?? 0) };
  } finally {
    clearInterval(timer);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const USAGE = 'usage: tsx scripts/bench/artifacts.ts --url <server> --token <admin jwt> [--size-mb 1024] [--key <key>] [--pid <pid>] [--data-dir <dir>] [--no-verify] [--chunked]';

async function main(): Promise<void> {
  const { values } = withUsage(USAGE, () =>
    parseCommandLine(process.argv.slice(2), {
      url: { type: 'string' },
      token: { type: 'string' },
      'size-mb': { type: 'string', default: '1024' },
      key: { type: 'string' },
      pid: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-verify': { type: 'boolean', default: false },
      chunked: { type: 'boolean', default: false },
    }),
  );
  if (!values.url || !values.token) {
    process.stderr.write(`--url and --token are required\n${USAGE}\n`);
    process.exit(2);
  }
  const size = Number(values['size-mb']) * MB;
  const verify = !values['no-verify'];
  const key = values.key ?? `bench/${Date.now().toString(36)}/payload.bin`;
  const url = `${values.url.replace(/\/$/, '')}/api/2.0/mlflow-artifacts/artifacts/${key}`;
  const auth = { Authorization: `Bearer ${values.token}` };
  const target = new URL(values.url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(target.hostname);
  const pid = values.pid ? Number(values.pid) : local ? pidListeningOn(Number(target.port || 80)) : undefined;
  const log = (m: string) => process.stderr.write(`[bench:artifacts] ${m}\n`);
  log(`${values['size-mb']} MB through ${url}${pid ? ` (server pid ${pid})` : ' (server RSS not measurable)'}`);

  const rssBefore = pid ? rssMb(pid) : undefined;
  const up = await watchRss(pid, () =>
    timed(async () => {
      const sent = hasher(verify);
      const headers: http.OutgoingHttpHeaders = { ...auth, 'Content-Type': 'application/octet-stream' };
      if (!values.chunked) headers['Content-Length'] = size; // chunked: the S3 store uploads 8 MiB parts
      const { req, res } = request(url, { method: 'PUT', headers });
      await pipeline(payload(size), sent, req);
      const r = await res;
      const body = await drain(r, false);
      if (r.statusCode !== 200) throw new Error(`PUT → ${r.statusCode} (${body.bytes} bytes of error body)`);
      return sent.hex();
    }),
  );
  const down = await watchRss(pid, () =>
    timed(async () => {
      const { req, res } = request(url, { method: 'GET', headers: auth });
      req.end();
      const r = await res;
      if (r.statusCode !== 200) throw new Error(`GET → ${r.statusCode}`);
      return drain(r, verify);
    }),
  );
  if (down.value.value.bytes !== size) throw new Error(`downloaded ${down.value.value.bytes} of ${size} bytes`);
  if (verify && down.value.value.sha256 !== up.value.value) throw new Error('SHA-256 differs between upload and download');
  const rssAfter = pid ? rssMb(pid) : undefined;
  await fetch(url, { method: 'DELETE', headers: auth }).catch(() => undefined);

  // The same bytes straight through the same kind of store, no HTTP: the ceiling for the proxy.
  const config = loadConfig({ ...process.env, JWT_SECRET: 'x'.repeat(32) });
  const dataDir = values['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-artifacts-'));
  const store: ArtifactStore = config.s3 ? new S3ArtifactStore(config.s3) : new LocalArtifactStore(dataDir);
  await store.init();
  const directKey = `bench-direct/${Date.now().toString(36)}/payload.bin`;
  const directUp = await timed(() => store.put(directKey, payload(size), { size }));
  const directDown = await timed(async () => drain(await store.get(directKey), verify));
  await store.remove('bench-direct');
  await store.close();
  if (!values['data-dir']) fs.rmSync(dataDir, { recursive: true, force: true });

  const rate = (s: number) => `${(size / MB / s).toFixed(0).padStart(6)} MB/s`;
  const lines = [
    `artifact proxy benchmark: ${values['size-mb']} MB${values.chunked ? ', chunked upload' : ''}, ${verify ? 'SHA-256 verified both ways' : 'not verified'}`,
    `  upload   through the proxy  ${rate(up.value.seconds)}   direct ${store.kind} store put ${rate(directUp.seconds)}`,
    `  download through the proxy  ${rate(down.value.seconds)}   direct ${store.kind} store get ${rate(directDown.seconds)}`,
  ];
  if (rssBefore !== undefined) {
    const peak = Math.max(up.peakMb ?? 0, down.peakMb ?? 0);
    lines.push(
      `  server RSS: ${rssBefore.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (upload ${up.peakMb?.toFixed(0)}, download ${down.peakMb?.toFixed(0)}), ` +
        `${rssAfter?.toFixed(0)} MB after → growth ${(peak - rssBefore).toFixed(0)} MB (target < 100 MB)`,
    );
  } else {
    lines.push('  server RSS: not measurable (remote server; pass --pid for a local one)');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
