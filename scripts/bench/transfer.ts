// A separate process for the artifact rows: it moves the bytes and nothing else, so the
// benchmark's own heap and event loop (autocannon, 50 MB payload buffers) do not slow the client
// side of the measurement. Prints the per-request milliseconds of the uploads and downloads as JSON.
// usage: BENCH_TOKEN=<token> transfer.ts <url> <bytes> <n>
import { randomBytes } from 'node:crypto';
import http from 'node:http';

const [url, bytes, count] = process.argv.slice(2) as [string, string, string];
const token = process.env.BENCH_TOKEN ?? '';
const size = Number(bytes);
const payload = randomBytes(size);

// node:http rather than fetch: undici re-chunks a large request body and halves the throughput.
function send(method: 'PUT' | 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { Authorization: `Bearer ${token}`, ...(method === 'PUT' ? { 'Content-Length': size } : {}) } });
    req.once('error', reject);
    req.once('response', (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => (got += c.length));
      res.once('end', () => (res.statusCode === 200 ? resolve(got) : reject(new Error(`${method} artifact → ${res.statusCode}`))));
    });
    req.end(method === 'PUT' ? payload : undefined);
  });
}

async function timed(method: 'PUT' | 'GET'): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < Number(count); i++) {
    const t0 = performance.now();
    const got = await send(method);
    if (method === 'GET' && got !== size) throw new Error(`downloaded ${got} bytes, expected ${size}`);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function main(): Promise<void> {
  await send('PUT'); // untimed warm-up of both paths
  await send('GET');
  const up = await timed('PUT');
  const down = await timed('GET');
  process.stdout.write(JSON.stringify({ up, down }));
}

main().catch((err: unknown) => {
  process.stderr.write(`transfer failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
