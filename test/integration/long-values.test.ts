import { randomBytes } from 'node:crypto';
import { LIMITS } from '../../src/http/limits';
import { INDEXED_VALUE_CHARS } from '../../src/search/sql';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, uniqueName } from './registry-fixtures';

// Values as long as MLflow allows (issue 13 item 3): the (key, value) btree indexes refused any
// value over ~2.7 KB with a 500 (`index row size ... exceeds btree version 4 maximum 2704`); the
// indexes now hold (key, left(value, INDEXED_VALUE_CHARS)).
let t: TestApp;
let exp: string;
beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as().post(`${API}/experiments/create`, { name: 'long-values' }).expect(200)).body.experiment_id;
});
afterAll(async () => {
  await t.close();
});

/**
 * Text that PostgreSQL cannot compress (a repeated character would fit an index entry compressed,
 * and hide the bug): `n` UTF-16 units from a fixed pseudo-random sequence over `alphabet`, after `seed`.
 */
function noise(alphabet: string[], n: number, seed: string): string {
  let out = seed;
  let x = 2463534242 ^ seed.charCodeAt(0);
  while (out.length < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const ch = alphabet[(x >>> 0) % alphabet.length]!;
    out += out.length + ch.length <= n ? ch : 'x';
  }
  return out;
}
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => String.fromCodePoint(from + i));
const THREE_BYTE = ['€', ...range(0x4e00, 255)]; // '€' and CJK ideographs
const FOUR_BYTE = range(0x1f300, 256); // emoji
/** ASCII, 3-byte ('€', CJK: n × 3 bytes) or 4-byte characters (emoji, 2 UTF-16 units each). */
const kinds = {
  ascii: (n: number, seed = 'a') => noise(LETTERS, n, seed),
  euro: (n: number, seed = 'a') => noise(THREE_BYTE, n, seed),
  emoji: (n: number, seed = 'a') => noise(FOUR_BYTE, n, seed),
};
const KINDS = Object.entries(kinds);

const newRun = async (body: Record<string, unknown> = {}) =>
  (
    await t
      .as()
      .post(`${API}/runs/create`, { experiment_id: exp, ...body })
      .expect(200)
  ).body.run.info.run_id as string;
const getRun = async (id: string) => (await t.as().get(`${API}/runs/get`, { run_id: id }).expect(200)).body.run;
const valueOf = (items: Array<{ key: string; value: string }> | undefined, key: string) => items?.find((i) => i.key === key)?.value;

describe('values at MLflow length limits', () => {
  it('sizes the indexed prefix so that a key and the prefix fit a btree entry in any UTF-8', () => {
    // A key is at most 250 UTF-16 units (≤ 3 bytes of UTF-8 each); a character at most 4 bytes.
    expect(LIMITS.keyLength * 3 + INDEXED_VALUE_CHARS * 4 + 64).toBeLessThan(2704);
  });

  it('declares the value indexes on (key, left(value, INDEXED_VALUE_CHARS)) and no (key, value) btree', async () => {
    const rows = await t.container.prisma.$queryRaw<Array<{ indexname: string; indexdef: string }>>`
      SELECT indexname::text, indexdef FROM pg_indexes
      WHERE tablename IN ('params', 'run_tags', 'experiment_tags', 'registered_model_tags', 'model_version_tags') AND indexdef LIKE '%(key, %'`;
    const defs = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef.replace(/^.* USING btree /, '')]));
    const prefix = `(key, "left"(value, ${INDEXED_VALUE_CHARS}))`;
    expect(defs).toEqual({
      params_key_value_prefix_idx: prefix,
      run_tags_key_value_prefix_idx: prefix,
      experiment_tags_key_value_prefix_idx: prefix,
      registered_model_tags_key_value_prefix_idx: prefix,
      model_version_tags_key_value_prefix_idx: prefix,
    });
  });

  it.each(KINDS)('logs a %s param of 6,000 and a run tag of 8,000 characters by log-parameter, set-tag and log-batch', async (_kind, make) => {
    const param = make(LIMITS.paramValueLength);
    const tag = make(LIMITS.runTagValueLength);
    expect(param).toHaveLength(6000);
    expect(tag).toHaveLength(8000);
    const id = await newRun({ tags: [{ key: 'created', value: tag }] });
    const a = t.as();
    await a.post(`${API}/runs/log-parameter`, { run_id: id, key: 'p1', value: param }).expect(200);
    await a.post(`${API}/runs/set-tag`, { run_id: id, key: 't1', value: tag }).expect(200);
    await a
      .post(`${API}/runs/log-batch`, {
        run_id: id,
        params: [{ key: 'p2', value: param }],
        tags: [
          { key: 't2', value: tag },
          { key: 't1', value: make(8000, 'b') },
        ],
      })
      .expect(200);
    // Logging the same param value again is allowed; the comparison with the stored value is exact.
    await a.post(`${API}/runs/log-parameter`, { run_id: id, key: 'p1', value: param }).expect(200);
    await a.post(`${API}/runs/log-parameter`, { run_id: id, key: 'p1', value: make(6000, 'b') }).expect(400);
    const run = await getRun(id);
    expect(valueOf(run.data.params, 'p1')).toBe(param);
    expect(valueOf(run.data.params, 'p2')).toBe(param);
    expect(valueOf(run.data.tags, 'created')).toBe(tag);
    expect(valueOf(run.data.tags, 't1')).toBe(make(8000, 'b'));
    expect(valueOf(run.data.tags, 't2')).toBe(tag);
  });

  it('still refuses values over the limits with 400', async () => {
    const id = await newRun();
    await t
      .as()
      .post(`${API}/runs/log-parameter`, { run_id: id, key: 'p', value: 'x'.repeat(6001) })
      .expect(400);
    await t
      .as()
      .post(`${API}/runs/set-tag`, { run_id: id, key: 't', value: 'x'.repeat(8001) })
      .expect(400);
  });

  it('refuses an mlflow.runName tag over 250 characters as the name of a new run, and keeps such a tag on an existing run', async () => {
    const long = kinds.euro(LIMITS.runTagValueLength);
    const res = await t
      .as()
      .post(`${API}/runs/create`, { experiment_id: exp, tags: [{ key: 'mlflow.runName', value: long }] })
      .expect(400);
    // Refused by its length, before any index entry is attempted (a class-54 error would be a 400 too).
    expect(res.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(`which exceeded length limit of ${LIMITS.runNameLength}`) });
    const ok = await newRun({ tags: [{ key: 'mlflow.runName', value: kinds.euro(LIMITS.runNameLength) }] });
    expect((await getRun(ok)).info.run_name).toBe(kinds.euro(250));
    // set-tag of mlflow.runName writes the tag only (runs.name keeps its value and its index entry).
    await t.as().post(`${API}/runs/set-tag`, { run_id: ok, key: 'mlflow.runName', value: long }).expect(200);
    expect(valueOf((await getRun(ok)).data.tags, 'mlflow.runName')).toBe(long);
  });

  it('keeps the MLflow 3.x mlflow.log-model.history tag growing past 2.7 KB', async () => {
    const id = await newRun();
    for (let i = 0; i < 20; i++) {
      const model = {
        artifact_path: `model-${i}`,
        flavors: { python_function: { loader_module: 'mlflow.sklearn', env: 'conda.yaml' } },
        utc_time_created: '2026-12-01 00:00:00.000000',
        run_id: id,
        model_uuid: randomBytes(16).toString('hex'),
        signature: { inputs: randomBytes(100).toString('hex') },
      };
      await t
        .as()
        .post(`${API}/runs/log-model`, { run_id: id, model_json: JSON.stringify(model) })
        .expect(200);
    }
    const history = valueOf((await getRun(id)).data.tags, 'mlflow.log-model.history')!;
    expect(history.length).toBeGreaterThan(2704);
    expect(JSON.parse(history)).toHaveLength(20);
  });

  it.each(KINDS)('sets %s experiment tags of 5,000 characters at create and by set-experiment-tag', async (_kind, make) => {
    const value = make(LIMITS.experimentTagValueLength);
    const id = (
      await t
        .as()
        .post(`${API}/experiments/create`, { name: uniqueName('exp'), tags: [{ key: 'a', value }] })
        .expect(200)
    ).body.experiment_id;
    await t.as().post(`${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'b', value }).expect(200);
    const e = (await t.as().get(`${API}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment;
    expect(valueOf(e.tags, 'a')).toBe(value);
    expect(valueOf(e.tags, 'b')).toBe(value);
  });

  it.each(KINDS)('sets %s registered model and model version tags of 5,000 characters at create and by set-tag', async (_kind, make) => {
    const value = make(LIMITS.registryTagValueLength);
    const a = t.as();
    const name = await createModel(a, uniqueName(), { tags: [{ key: 'a', value }] });
    await a.post(`${API}/registered-models/set-tag`, { name, key: 'b', value }).expect(200);
    const version = await createVersion(a, name, { tags: [{ key: 'a', value }] });
    await a.post(`${API}/model-versions/set-tag`, { name, version, key: 'b', value }).expect(200);
    const model = (await a.get(`${API}/registered-models/get`, { name }).expect(200)).body.registered_model;
    expect(valueOf(model.tags, 'a')).toBe(value);
    expect(valueOf(model.tags, 'b')).toBe(value);
    const mv = (await a.get(`${API}/model-versions/get`, { name, version }).expect(200)).body.model_version;
    expect(valueOf(mv.tags, 'a')).toBe(value);
    expect(valueOf(mv.tags, 'b')).toBe(value);
  });
});

describe('searches on long values', () => {
  // Two values share their first INDEXED_VALUE_CHARS characters (and more): only the exact
  // comparison tells them apart.
  const shared = kinds.euro(INDEXED_VALUE_CHARS + 100, 's');
  const longA = shared + 'A' + kinds.ascii(LIMITS.runTagValueLength - shared.length - 1, 'A');
  const longB = shared + 'B' + kinds.ascii(LIMITS.runTagValueLength - shared.length - 1, 'A');
  const paramA = longA.slice(0, LIMITS.paramValueLength);
  const paramB = longB.slice(0, LIMITS.paramValueLength);
  let searchExp: string;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    searchExp = (await t.as().post(`${API}/experiments/create`, { name: 'long-values-search' }).expect(200)).body.experiment_id;
    const mk = async (tag: string, param: string) => {
      const id = (await t.as().post(`${API}/runs/create`, { experiment_id: searchExp }).expect(200)).body.run.info.run_id as string;
      await t
        .as()
        .post(`${API}/runs/log-batch`, { run_id: id, params: [{ key: 'p', value: param }], tags: [{ key: 'k', value: tag }] })
        .expect(200);
      return id;
    };
    runA = await mk(longA, paramA);
    runB = await mk(longB, paramB);
  });

  const searchRuns = async (filter: string) =>
    (
      (
        await t
          .as()
          .post(`${API}/runs/search`, { experiment_ids: [searchExp], filter })
          .expect(200)
      ).body.runs ?? []
    ).map((r: { info: { run_id: string } }) => r.info.run_id);

  it('finds a run by equality on an 8,000-character tag and a 6,000-character param, and tells apart values sharing the indexed prefix', async () => {
    expect(await searchRuns(`tags.k = '${longA}'`)).toEqual([runA]);
    expect(await searchRuns(`tags.k = '${longB}'`)).toEqual([runB]);
    expect(await searchRuns(`params.p = '${paramA}'`)).toEqual([runA]);
    expect(await searchRuns(`params.p = '${paramB}'`)).toEqual([runB]);
    // Equal in the first INDEXED_VALUE_CHARS characters only, or a prefix of the stored value: no match.
    expect(await searchRuns(`tags.k = '${shared}'`)).toEqual([]);
    expect(await searchRuns(`tags.k = '${longA.slice(0, -1)}'`)).toEqual([]);
    expect(await searchRuns(`tags.k = '${shared.slice(0, INDEXED_VALUE_CHARS)}'`)).toEqual([]);
  });

  it('answers !=, LIKE and ILIKE on long values by the whole value', async () => {
    expect(await searchRuns(`tags.k != '${longA}'`)).toEqual([runB]);
    expect(await searchRuns(`tags.k LIKE '${shared}A%'`)).toEqual([runA]);
    expect(await searchRuns(`tags.k LIKE '%B${longB.slice(shared.length + 1, shared.length + 30)}%'`)).toEqual([runB]);
    expect(await searchRuns(`tags.k LIKE '%${longA.slice(-30)}'`)).toHaveLength(2);
    expect((await searchRuns(`tags.k LIKE '${shared}%'`)).sort()).toEqual([runA, runB].sort());
    expect(await searchRuns(`params.p ILIKE '${shared}b%'`)).toEqual([runB]);
  });

  it('finds experiments, registered models and model versions by equality on 5,000-character tags', async () => {
    const valueA = longA.slice(0, LIMITS.experimentTagValueLength);
    const valueB = longB.slice(0, LIMITS.experimentTagValueLength);
    const a = t.as();
    const expA = (await a.post(`${API}/experiments/create`, { name: uniqueName('exp'), tags: [{ key: 'long', value: valueA }] }).expect(200)).body.experiment_id;
    await a.post(`${API}/experiments/create`, { name: uniqueName('exp'), tags: [{ key: 'long', value: valueB }] }).expect(200);
    const exps = (await a.post(`${API}/experiments/search`, { filter: `tags.long = '${valueA}'`, max_results: 1000 }).expect(200)).body.experiments;
    expect(exps.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([expA]);

    const modelA = await createModel(a, uniqueName('long'), { tags: [{ key: 'long', value: valueA }] });
    const modelB = await createModel(a, uniqueName('long'), { tags: [{ key: 'long', value: valueB }] });
    const models = (await a.get(`${API}/registered-models/search`, { filter: `tags.long = '${valueB}'` }).expect(200)).body.registered_models;
    expect(models.map((m: { name: string }) => m.name)).toEqual([modelB]);

    await createVersion(a, modelA, { tags: [{ key: 'long', value: valueA }] });
    await createVersion(a, modelB, { tags: [{ key: 'long', value: valueB }] });
    const versions = (await a.get(`${API}/model-versions/search`, { filter: `tags.long = '${valueA}'` }).expect(200)).body.model_versions;
    expect(versions.map((v: { name: string }) => v.name)).toEqual([modelA]);
  });
});
