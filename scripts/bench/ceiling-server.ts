// The reference for the concurrent GET row: an authenticated JSON GET on this stack (Express,
// jsonwebtoken, pg) used plainly, with Node's own request classes and a signature check per request,
// in its own process like the service. The service outruns it: its requests are built for Express
// (src/http/http-server.ts) and it remembers verified tokens.
// GET /auth verifies the bearer token and answers; GET /query also runs one trivial query.
// usage: BENCH_DATABASE_URL=<database url> BENCH_SECRET=<secret> ceiling-server.ts; prints the port once listening.
import { createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? '';
const secret = process.env.BENCH_SECRET ?? '';
const key = createSecretKey(Buffer.from(secret, 'utf8'));
const pool = new Pool({ connectionString: databaseUrl, max: 20 });
const app = express();

const subject = (header: string | undefined): string => {
  const claims = jwt.verify((header ?? '').replace(/^Bearer /, ''), key, { algorithms: ['HS256'] });
  return typeof claims === 'object' && typeof claims.sub === 'string' ? claims.sub : '';
};

app.get('/auth', (req, res) => {
  res.json({ registered_model: { name: 'reference', user_id: subject(req.headers.authorization) } });
});
app.get('/query', async (req, res) => {
  const sub = subject(req.headers.authorization);
  const { rows } = await pool.query<{ name: string; user_id: string }>({ name: 'reference', text: 'SELECT $1::text AS name, $2::text AS user_id', values: ['reference', sub] });
  res.json({ registered_model: rows[0] });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
