import { Prisma } from '@prisma/client';
import { createDatabase, type Database } from '../../src/db/prisma';
import { SqlExecutor } from '../../src/db/sql';
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
