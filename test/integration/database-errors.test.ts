import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createContainer } from '../../src/container';
import { classifyDatabaseError, databaseFailureOf } from '../../src/db/database-errors';
import { isUniqueViolation } from '../../src/db/prisma-errors';
import { SqlExecutor } from '../../src/db/sql';
import { createHttpServer } from '../../src/http/http-server';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { bearer, TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET, tokenFor } from '../helpers/tokens';

/**
 * Real failures of PostgreSQL, provoked through both ways this service talks to it (raw pg in
 * src/db/sql.ts, Prisma through @prisma/adapter-pg), each classified by classifyDatabaseError.
 */

/** pg and Prisma on one pool, as createDatabase builds them, with extra connection options. */
function clients(url: string, options = '', max = 2) {
  const pool = new Pool({ connectionString: url, max, options });
  pool.on('error', () => undefined);
  return { pool, sql: new SqlExecutor(pool), prisma: new PrismaClient({ adapter: new PrismaPg(pool) }) };
}
type Clients = ReturnType<typeof clients>;

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the database to refuse this');
}

async function outcome(work: () => Promise<unknown>) {
  const err = await failureOf(work);
  const e = classifyDatabaseError(err);
  return e ? { status: e.status, code: e.code, retryAfter: e.retryAfterSeconds, message: e.message } : { unclassified: err };
}

const unavailable = (message: RegExp) => ({ status: 503, code: 'TEMPORARILY_UNAVAILABLE', retryAfter: 1, message: expect.stringMatching(message) });
const invalid = (message: RegExp) => ({ status: 400, code: 'INVALID_PARAMETER_VALUE', retryAfter: undefined, message: expect.stringMatching(message) });

let tdb: TestDatabase;
let c: Clients;
const ALL = ['pg', 'prisma model', 'prisma raw'] as const;

beforeAll(async () => {
  tdb = await createTestDatabase();
  c = clients(tdb.url);
  await c.sql.execute`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('taken', 'x', 1, 1)`;
});
afterAll(async () => {
  await c.prisma.$disconnect();
  await c.pool.end();
  await tdb.drop();
});

describe('values PostgreSQL cannot store: 400', () => {
  const nul = 'a\u0000b';
  it.each(ALL)('NUL in text, through %s', async (via) => {
    const work = {
      pg: () => c.sql.query`SELECT ${nul}::text AS v`,
      'prisma model': () => c.prisma.experiment.findFirst({ where: { name: nul } }),
      'prisma raw': () => c.prisma.$queryRaw`SELECT ${nul}::text AS v`,
    }[via];
    expect(await outcome(work)).toEqual(invalid(/NUL character/));
  });

  it('NUL in jsonb (22P05, "\\u0000 cannot be converted to text")', async () => {
    expect(await outcome(() => c.sql.query`SELECT ${'"\\u0000"'}::jsonb AS v`)).toEqual(invalid(/NUL character/));
  });

  it('a number out of range (22003), through pg and a Prisma raw query', async () => {
    expect(await outcome(() => c.sql.query`SELECT ${'2147483648'}::int AS v`)).toEqual(invalid(/22003: value "2147483648" is out of range/));
    expect(await outcome(() => c.prisma.$queryRaw`SELECT ${'2147483648'}::int AS v`)).toEqual(invalid(/22003/));
  });

  it('a lone UTF-16 surrogate, which Prisma refuses before sending (pg would store U+FFFD)', async () => {
    const create = () => c.prisma.experiment.create({ data: { name: 'x\ud800', artifactLocation: 'x', creationTime: 1n, lastUpdateTime: 1n } });
    expect(await outcome(create)).toEqual(invalid(/lone UTF-16 surrogate/));
    expect(await outcome(() => c.prisma.$queryRaw`SELECT ${'\udc00'}::text AS v`)).toEqual(invalid(/lone UTF-16 surrogate/));
  });

  it('a NULL where the column refuses one (23502)', async () => {
    expect(await outcome(() => c.sql.execute`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (NULL, 'x', 1, 1)`)).toEqual(invalid(/23502/));
  });
});

describe('constraint violations no repository translated', () => {
  const insertTaken = {
    pg: () => c.sql.execute`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('taken', 'x', 1, 1)`,
    'prisma model': () => c.prisma.experiment.create({ data: { name: 'taken', artifactLocation: 'x', creationTime: 1n, lastUpdateTime: 1n } }),
    'prisma raw': () => c.prisma.$executeRaw`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('taken', 'x', 1, 1)`,
  };
  it.each(ALL)('a unique violation through %s is RESOURCE_ALREADY_EXISTS, and isUniqueViolation knows it', async (via) => {
    const err = await failureOf(insertTaken[via]);
    expect(isUniqueViolation(err)).toBe(true);
    expect(classifyDatabaseError(err)).toMatchObject({ status: 400, code: 'RESOURCE_ALREADY_EXISTS', message: 'The resource already exists (same name).' });
  });

  it.each(ALL)('a foreign key to a row that is gone, through %s, is RESOURCE_DOES_NOT_EXIST', async (via) => {
    const work = {
      pg: () => c.sql.execute`INSERT INTO experiment_tags (experiment_id, key, value) VALUES (999999, 'k', 'v')`,
      'prisma model': () => c.prisma.experimentTag.create({ data: { experimentId: 999999n, key: 'k', value: 'v' } }),
      'prisma raw': () => c.prisma.$executeRaw`INSERT INTO experiment_tags (experiment_id, key, value) VALUES (999999, 'k', 'v')`,
    }[via];
    expect(await outcome(work)).toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(isUniqueViolation(await failureOf(work))).toBe(false);
  });

  it('deleting a row still referenced is RESOURCE_CONFLICT; a record to update that is gone (P2025) is 404', async () => {
    await c.sql.execute`CREATE TABLE probe_parent (id int PRIMARY KEY)`;
    await c.sql.execute`CREATE TABLE probe_child (parent int REFERENCES probe_parent (id))`;
    await c.sql.execute`INSERT INTO probe_parent VALUES (1)`;
    await c.sql.execute`INSERT INTO probe_child VALUES (1)`;
    expect(await outcome(() => c.sql.execute`DELETE FROM probe_parent`)).toMatchObject({ status: 409, code: 'RESOURCE_CONFLICT' });
    expect(await outcome(() => c.prisma.experiment.update({ where: { name: 'ghost' }, data: { lastUpdateTime: 2n } }))).toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('transient failures: 503 with Retry-After', () => {
  it('a statement timeout (57014) through pg, a Prisma raw query and a Prisma model query', async () => {
    const slow = clients(tdb.url, '-c statement_timeout=50', 1);
    const locker = new Pool({ connectionString: tdb.url, max: 1 });
    try {
      expect(await outcome(() => slow.sql.query`SELECT pg_sleep(2)`)).toEqual(
        unavailable(/did not answer in time \(57014: canceling statement due to statement timeout; the limit is DATABASE_STATEMENT_TIMEOUT_MS\)/),
      );
      expect(await outcome(() => slow.prisma.$queryRaw`SELECT pg_sleep(2)`)).toEqual(unavailable(/57014/));
      // A model query that waits for a lock past the timeout.
      const held = await locker.connect();
      await held.query('BEGIN');
      await held.query('LOCK TABLE experiments IN ACCESS EXCLUSIVE MODE');
      try {
        expect(await outcome(() => slow.prisma.experiment.findFirst())).toEqual(unavailable(/57014/));
      } finally {
        await held.query('ROLLBACK');
        held.release();
      }
    } finally {
      await slow.prisma.$disconnect();
      await slow.pool.end();
      await locker.end();
    }
  });

  it('a serialization failure (40001) through pg and a Prisma transaction (P2034)', async () => {
    const a = await c.pool.connect();
    const b = new Pool({ connectionString: tdb.url, max: 1 });
    try {
      await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await a.query(`SELECT * FROM experiments WHERE name = 'taken'`);
      await b.query(`UPDATE experiments SET last_update_time = last_update_time + 1 WHERE name = 'taken'`);
      expect(await outcome(() => a.query(`UPDATE experiments SET last_update_time = last_update_time + 1 WHERE name = 'taken'`))).toEqual(unavailable(/rolled back \(40001/));
      await a.query('ROLLBACK');
      const viaPrisma = () =>
        c.prisma.$transaction(
          async (tx) => {
            await tx.experiment.findFirst({ where: { name: 'taken' } });
            await b.query(`UPDATE experiments SET last_update_time = last_update_time + 1 WHERE name = 'taken'`);
            await tx.experiment.updateMany({ where: { name: 'taken' }, data: { lastUpdateTime: 5n } });
          },
          { isolationLevel: 'Serializable' },
        );
      const err = await failureOf(viaPrisma);
      expect(databaseFailureOf(err)).toMatchObject({ prismaCode: 'P2034', sqlstate: '40001' });
      expect(classifyDatabaseError(err)).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    } finally {
      a.release();
      await b.end();
    }
  });

  it('a deadlock (40P01) through pg', async () => {
    await c.sql.execute`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('dl1', 'x', 1, 1), ('dl2', 'x', 1, 1)`;
    const pool = new Pool({ connectionString: tdb.url, max: 2 });
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query(`SET deadlock_timeout = '100ms'`);
      await b.query(`SET deadlock_timeout = '100ms'`);
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(`UPDATE experiments SET last_update_time = 2 WHERE name = 'dl1'`);
      await b.query(`UPDATE experiments SET last_update_time = 2 WHERE name = 'dl2'`);
      const results = await Promise.allSettled([
        a.query(`UPDATE experiments SET last_update_time = 3 WHERE name = 'dl2'`),
        b.query(`UPDATE experiments SET last_update_time = 3 WHERE name = 'dl1'`),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(databaseFailureOf(failed?.reason)).toMatchObject({ sqlstate: '40P01' });
      expect(classifyDatabaseError(failed?.reason)).toMatchObject({ status: 503, code: 'TEMPORARILY_UNAVAILABLE', retryAfterSeconds: 1 });
    } finally {
      await a.query('ROLLBACK');
      await b.query('ROLLBACK');
      a.release();
      b.release();
      await pool.end();
    }
  });

  it('a connection the server terminated (57P01) through pg', async () => {
    const victim = clients(tdb.url, '', 1);
    try {
      await victim.sql.query`SELECT 1`;
      const [{ pid }] = (await victim.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      const sleeping = failureOf(() => victim.sql.query`SELECT pg_sleep(5)`);
      await new Promise((r) => setTimeout(r, 200));
      await c.sql.query`SELECT pg_terminate_backend(${pid}::int)`;
      const err = await sleeping;
      expect(classifyDatabaseError(err)).toMatchObject({ status: 503, retryAfterSeconds: 1, message: expect.stringMatching(/57P01|terminat/) });
    } finally {
      await victim.prisma.$disconnect();
      await victim.pool.end();
    }
  });

  it('a server that refuses connections, through pg, a Prisma model query and a Prisma raw query', async () => {
    const port = await closedPort();
    const dead = clients(`postgresql://postgres@127.0.0.1:${port}/x`);
    try {
      for (const work of [() => dead.sql.query`SELECT 1`, () => dead.prisma.experiment.findFirst(), () => dead.prisma.$queryRaw`SELECT 1`]) {
        expect(await outcome(work)).toEqual(unavailable(/The database is unavailable \((ECONNREFUSED|DatabaseNotReachable)\)/));
      }
    } finally {
      await dead.prisma.$disconnect();
      await dead.pool.end();
    }
  });

  it('a pool that was ended (the service is stopping)', async () => {
    const ended = clients(tdb.url);
    await ended.pool.end();
    expect(await outcome(() => ended.sql.query`SELECT 1`)).toEqual(unavailable(/unavailable/));
  });
});

describe('our own bugs stay 500', () => {
  it.each([
    ['a syntax error', () => c.sql.query`SELEKT 1`],
    ['a missing table', () => c.sql.query`SELECT * FROM no_such_table`],
    ['a missing table in a Prisma raw query', () => c.prisma.$queryRaw`SELECT * FROM no_such_table`],
  ])('%s is left unclassified', async (_what, work) => {
    const err = await failureOf(work);
    expect(classifyDatabaseError(err)).toBeUndefined();
  });
});

/**
 * What PostgreSQL sends a client while it starts up, byte for byte: an ErrorResponse and the end
 * of the connection. (The same message, with "is not accepting connections" and a detail, was
 * captured from a real PostgreSQL 15 standby started with hot_standby=off.)
 */
const STARTING_UP = (() => {
  const fields = ['SFATAL', 'VFATAL', 'C57P03', 'Mthe database system is starting up', 'Fpostmaster.c', 'L2412', 'RProcessStartupPacket'];
  const payload = Buffer.from(`${fields.join('\0')}\0\0`, 'latin1');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([head, payload]);
})();

async function startingUpServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(STARTING_UP));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/registry`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a database that is starting up (57P03)', () => {
  let db: Awaited<ReturnType<typeof startingUpServer>>;
  beforeAll(async () => {
    db = await startingUpServer();
  });
  afterAll(async () => {
    await db.close();
  });

  it('is 503 with Retry-After through pg, a Prisma model query, a Prisma raw query and a transaction', async () => {
    const starting = clients(db.url);
    try {
      const works = [
        () => starting.sql.query`SELECT 1`,
        () => starting.prisma.experiment.findFirst(),
        () => starting.prisma.$queryRaw`SELECT 1`,
        () => starting.prisma.$transaction(async (tx) => tx.experiment.findFirst()),
      ];
      for (const work of works) {
        expect(await outcome(work)).toEqual(unavailable(/^The database is unavailable \(57P03: the database system is starting up\); retry shortly\.$/));
      }
    } finally {
      await starting.prisma.$disconnect();
      await starting.pool.end();
    }
  });

  it('is what the API answers, in MLflow’s format, while /health still answers', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-starting-'));
    const config = loadConfig({
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      S3_ENDPOINT: '',
      REGISTERED_MODEL_CACHE_SIZE: '0',
    });
    const container = await createContainer(config, createLogger('silent'), { databaseUrl: db.url });
    const server = createHttpServer(createApp(container));
    try {
      const auth = bearer(tokenFor('alice'));
      const reads = await request(server).get('/api/2.0/mlflow/experiments/get').query({ experiment_id: '0' }).set(auth);
      const writes = await request(server).post('/api/2.0/mlflow/registered-models/create').set(auth).send({ name: 'm' });
      for (const res of [reads, writes]) {
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toEqual({ error_code: 'TEMPORARILY_UNAVAILABLE', message: expect.stringContaining('57P03') });
      }
      await request(server).get('/health').expect(200);
    } finally {
      server.close();
      await container.dispose();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
