import { Prisma } from '@prisma/client';
import { createDatabase, type Database } from '../../src/db/prisma';
import { SqlExecutor } from '../../src/db/sql';
import { AuditRepository } from '../../src/modules/audit/audit.repository';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDatabase(tdb.url, 2);
});

afterAll(async () => {
  await db.close();
  await tdb.drop();
});

describe('SqlExecutor (the hot-path queries on the shared pool)', () => {
  it('returns int8 as bigint and float8 as number, with every digit of both', async () => {
    const [row] = await db.sql.query<{ big: bigint; dbl: number; small: number }>`
      SELECT ${String(2n ** 62n)}::bigint AS big, ${String(0.1 + 0.2)}::float8 AS dbl, 7::int AS small`;
    expect(row).toEqual({ big: 2n ** 62n, dbl: 0.30000000000000004, small: 7 });
  });

  it('binds every value as a parameter, including nested Prisma.sql fragments and arrays', async () => {
    const evil = "x'); DROP TABLE runs; --";
    const where = Prisma.sql`v = ANY(${[evil, 'b']}::text[])`;
    const rows = await db.sql.query<{ v: string }>(Prisma.sql`SELECT v FROM unnest(${['a', evil]}::text[]) AS t(v) WHERE ${where}`);
    expect(rows).toEqual([{ v: evil }]);
    expect(await db.sql.query`SELECT 1 FROM runs LIMIT 0`).toEqual([]);
  });

  it('prepares each statement text once per connection, and still runs new texts past the cap unprepared', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < SqlExecutor.MAX_PREPARED + 5; i++) {
        const [row] = await db.sql.query<{ n: number }>(Prisma.sql`SELECT ${i}::int + ${Prisma.raw(String(i))} AS n`);
        expect(row!.n).toBe(2 * i);
      }
    }
  });

  it('reports the number of rows a statement changed, and shares the pool with Prisma', async () => {
    await db.sql.execute`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES ('sql-a', 'x', 1, 1), ('sql-b', 'x', 1, 1)`;
    expect(await db.sql.execute`UPDATE experiments SET last_update_time = 2 WHERE name LIKE 'sql-%'`).toBe(2);
    expect(await db.prisma.experiment.count({ where: { name: { startsWith: 'sql-' }, lastUpdateTime: 2n } })).toBe(2);
  });
});

describe('SqlExecutor.transaction (raw statements that must be atomic, on one pooled connection)', () => {
  const names = async (prefix: string) => (await db.sql.query<{ name: string }>`SELECT name FROM experiments WHERE name LIKE ${`${prefix}%`} ORDER BY name`).map((r) => r.name);
  const insert = (prefix: string, n: number) => Prisma.sql`INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (${`${prefix}${n}`}, 'x', 1, 1)`;

  it('commits its statements together: none is seen from another connection before COMMIT, all after', async () => {
    const seenInside: string[][] = [];
    const result = await db.sql.transaction(async (tx) => {
      expect(await tx.$executeRaw(insert('tx-a', 1))).toBe(1);
      await tx.$executeRaw(insert('tx-a', 2));
      const [row] = await tx.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM experiments WHERE name LIKE 'tx-a%'`;
      seenInside.push(await names('tx-a')); // another pooled connection
      return row!.n;
    });
    expect(result).toBe(2n);
    expect(seenInside).toEqual([[]]);
    expect(await names('tx-a')).toEqual(['tx-a1', 'tx-a2']);
  });

  it('rolls back every statement when its function throws, and rethrows that error', async () => {
    const failure = new Error('the write failed half-way');
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.$executeRaw(insert('tx-b', 1));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await names('tx-b')).toEqual([]);
  });

  it('rolls back on a failing statement and gives its connection back each time (pool of 2, five failures)', async () => {
    await db.sql.execute(insert('tx-c', 0));
    for (let i = 1; i <= 5; i++) {
      await expect(
        db.sql.transaction(async (tx) => {
          await tx.$executeRaw(insert('tx-c', i));
          await tx.$executeRaw(insert('tx-c', 0)); // a unique violation on the name
        }),
      ).rejects.toThrow(/unique|duplicate/i);
    }
    expect(await names('tx-c')).toEqual(['tx-c0']);
    // Both connections are free: two transactions at once, each waiting for the other to start.
    let started = 0;
    const both = () =>
      db.sql.transaction(async (tx) => {
        started++;
        while (started < 2) await new Promise((r) => setTimeout(r, 5));
        return (await tx.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`)[0]!.one;
      });
    expect(await Promise.all([both(), both()])).toEqual([1, 1]);
  });

  it('runs repository code written for a Prisma transaction unchanged (the audit insert)', async () => {
    const audit = new AuditRepository(db.prisma);
    await db.sql.transaction((tx) =>
      audit.insert([{ timestamp: 5, actor: 'tx-user', action: 'update_description', resourceType: 'registered_model', modelName: 'tx-model', after: { description: 'd' } }], tx),
    );
    expect(await db.prisma.auditEvent.findMany({ where: { actor: 'tx-user' }, select: { action: true, modelName: true, after: true, timestamp: true } })).toEqual([
      { action: 'update_description', modelName: 'tx-model', after: { description: 'd' }, timestamp: 5n },
    ]);
  });
});
