import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';

/**
 * Shared by the artifact tests: deterministic bytes generated as a stream (never a whole
 * buffer), and hashing on the fly.
 */
export function generated(size: number, seed = 1, chunk = 64 * 1024): Readable {
  let sent = 0;
  let state = seed >>> 0 || 1;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, size - sent);
      const buf = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const v = state >>> 0;
        for (let j = 0; j < 4 && i + j < n; j++) buf[i + j] = (v >>> (8 * j)) & 0xff;
      }
      sent += n;
      this.push(buf);
    },
  });
}

/** A pass-through that hashes what flows by; `digest()` once the stream ended. */
export function hashing(algorithm: 'sha256' | 'md5' = 'sha256'): Transform & { digest(): string; bytes(): number } {
  const h = createHash(algorithm);
  let bytes = 0;
  const t = new Transform({
    transform(c: Buffer, _e, done) {
      h.update(c);
      bytes += c.length;
      done(null, c);
    },
  });
  let digest: string | undefined;
  return Object.assign(t, { digest: () => (digest ??= h.digest('hex')), bytes: () => bytes });
}

export async function sha256Of(stream: AsyncIterable<Buffer | string>): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    h.update(c);
    bytes += c.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

export async function textOf(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let s = '';
  for await (const c of stream) s += typeof c === 'string' ? c : c.toString('utf8');
  return s;
}

/** A body that sends some bytes and then fails, like a client that drops the connection. */
export function failingAfter(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytes, 7));
        return;
      }
      this.destroy(new Error('client went away'));
    },
  });
}

/** An HTTP request whose path goes out exactly as written (no URL normalisation of '..' or %2e). */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; text: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('node:http') as typeof import('node:http');
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
