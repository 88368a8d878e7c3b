import { Client, Pool } from 'pg';
import { sortsByCodePoint } from '../../src/db/collation';
import { SqlExecutor } from '../../src/db/sql';
import { databaseUrl, TEST_ENV } from '../helpers/env';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion } from './registry-fixtures';

/**
 * `name LIKE` searches of registered models and versions carry a range from the pattern's prefix
 * when the database sorts by code point (src/search/sql.ts likeWithin): the answers must be exactly
 * PostgreSQL's own LIKE over the same names, at the edges of the range too.
 */
let t: TestApp;
const tag = `lk${Date.now().toString(36)}`;
const NAMES = ['', '-a', '%b', '_c', 'z', '\u{10ffff}', '\u{10ffff}x', '😀', '😀x', 'é', 'éx', '\u{d7ff}', '\u{e000}'].map((s) => tag + s);
// Outside the prefix, on both sides of it.
const NEIGHBOURS = [tag.slice(0, -1) + String.fromCodePoint(tag.codePointAt(tag.length - 1)! + 1), tag.slice(0, -1), tag.toUpperCase()];

beforeAll(async () => {
  t = await startTestApp();
  const alice = t.as('alice');
  for (const name of [...NAMES, ...NEIGHBOURS]) {
    await createModel(alice, name);
    await createVersion(alice, name);
  }
});
afterAll(async () => {
  await t.close();
});

/** The filter's string literal for `value`: backslashes and quotes escaped as the filter language reads them. */
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

describe('name LIKE searches', () => {
  it.each([
    ['a prefix', `${tag}%`],
    ['an escaped %', `${tag}\\%%`],
    ['an escaped _', `${tag}\\_%`],
    ['a single-character wildcard', `${tag}_`],
    ['no wildcard', `${tag}é`],
    ['an astral character', `${tag}😀%`],
    ['the last code point', `${tag}\u{10ffff}%`],
    ['the code point before the surrogates', `${tag}\u{d7ff}%`],
    ['a leading wildcard', `%${tag.slice(1)}z`],
  ])('with %s answer what PostgreSQL LIKE answers', async (_what, pattern) => {
    const expected = (await t.container.prisma.$queryRaw<Array<{ name: string }>>`SELECT name FROM registered_models WHERE name LIKE ${pattern} ORDER BY name COLLATE "C"`).map(
      (r) => r.name,
    );
    expect(expected.length).toBeGreaterThan(0);
    const filter = `name LIKE ${literal(pattern)}`;
    const models = (await t.as('alice').get(`${API}/registered-models/search`, { filter, max_results: 1000 }).expect(200)).body.registered_models ?? [];
    expect(models.map((m: { name: string }) => m.name).sort()).toEqual([...expected].sort());
    const versions = (await t.as('alice').get(`${API}/model-versions/search`, { filter, max_results: 1000 }).expect(200)).body.model_versions ?? [];
    expect(versions.map((v: { name: string }) => v.name).sort()).toEqual([...expected].sort());
  });
});

describe('sortsByCodePoint', () => {
  const made: string[] = [];
  const admin = new Client({ connectionString: TEST_ENV.adminUrl() });
  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const db of made) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it.each([
    ["LOCALE 'C'", true],
    ["LOCALE 'C.UTF-8'", true],
    // Its datcollate still says C.UTF-8; the provider decides.
    ["LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", false],
  ])('answers, for a database made with %s: %s', async (locale, expected) => {
    const name = `${TEST_ENV.dbPrefix()}_coll${made.length}`;
    made.push(name);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' ${locale}`);
    const pool = new Pool({ connectionString: databaseUrl(TEST_ENV.adminUrl(), name), max: 1 });
    try {
      await expect(sortsByCodePoint(new SqlExecutor(pool))).resolves.toBe(expected);
    } finally {
      await pool.end();
    }
  });
});
