// A separate process for the artifact rows: it moves the bytes and nothing else, so the
// benchmark's own heap and event loop (autocannon, 50 MB payload buffers) do not slow the client
// side of the measurement. Each upload and download through the proxy is followed by the same
// request to the reference server (stream-reference.ts), so both see the same moment of this
// noisy machine. Prints the per-request milliseconds of each as JSON.
// usage: BENCH_TOKEN=<token> transfer.ts <proxy url> <reference url> <bytes> <n>
import { randomBytes } from 'node:crypto';
import http from 'node:http';

const [proxyUrl, referenceUrl, bytes, count] = process.argv.slice(2) as [string, string, string, string];
const token = process.env.BENCH_TOKEN ?? '';
const size = Number(bytes);
const payload = randomBytes(size);

// node:http rather than fetch: undici re-chunks a large request body and halves the throughput.
function send(url: string, method: 'PUT' | 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = url === proxyUrl && token ? { Authorization: `Bearer ${token}` } : {};
    if (method === 'PUT') headers['Content-Length'] = size;
    const req = http.request(url, { method, headers });
    req.once('error', reject);
    req.once('response', (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => (got += c.length));
      res.once('end', () => (res.statusCode === 200 ? resolve(got) : reject(new Error(`${method} ${url} → ${res.statusCode}`))));
    });
    req.end(method === 'PUT' ? payload : undefined);
  });
}

async function timed(url: string, method: 'PUT' | 'GET'): Promise<number> {
  const t0 = performance.now();
  const got = await send(url, method);
  if (method === 'GET' && got !== size) throw new Error(`downloaded ${got} bytes from ${url}, expected ${size}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const samples = { up: [] as number[], down: [] as number[], referenceUp: [] as number[], referenceDown: [] as number[] };
  for (const url of [proxyUrl, referenceUrl]) {
    await send(url, 'PUT'); // untimed warm-up of both paths on both servers
    await send(url, 'GET');
  }
  for (let i = 0; i < Number(count); i++) {
    samples.up.push(await timed(proxyUrl, 'PUT'));
    samples.referenceUp.push(await timed(referenceUrl, 'PUT'));
  }
  for (let i = 0; i < Number(count); i++) {
    samples.down.push(await timed(proxyUrl, 'GET'));
    samples.referenceDown.push(await timed(referenceUrl, 'GET'));
  }
  process.stdout.write(JSON.stringify(samples));
}

main().catch((err: unknown) => {
  process.stderr.write(`transfer failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
