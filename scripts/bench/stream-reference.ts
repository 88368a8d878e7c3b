// The reference for the artifact rows: node:http and the file system, nothing else. PUT streams the
// body into a temp file and renames it over the one file it keeps, as the local store does; GET
// streams that file back. No Express, no token check, no database, no path checks: what any Node
// server has to do to move the same bytes over the same loopback onto the same disk.
// usage: stream-reference.ts <directory>; prints the port once listening.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2] ?? '';
const target = path.join(dir, 'reference.bin');
const MB = 1024 * 1024;

async function put(req: http.IncomingMessage): Promise<void> {
  const tmp = path.join(dir, `${randomBytes(8).toString('hex')}.tmp`);
  await pipeline(req, fs.createWriteStream(tmp, { highWaterMark: MB }));
  await fs.promises.rename(tmp, target);
}

async function get(res: http.ServerResponse): Promise<void> {
  const { size } = await fs.promises.stat(target);
  res.setHeader('Content-Length', size);
  await pipeline(fs.createReadStream(target, { highWaterMark: MB }), res);
}

const server = http.createServer((req, res) => {
  const work = req.method === 'PUT' ? put(req).then(() => res.end('{}')) : get(res);
  work.catch((err: unknown) => {
    process.stderr.write(`stream reference: ${err instanceof Error ? err.message : String(err)}\n`);
    res.destroy();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close());
