import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import type { ArtifactStore } from '../../src/storage/artifact-store';
import { startTestApp, type TestApp, type ApiClient } from '../helpers/test-app';

const M = '/api/2.0/mlflow';
const GC = '/api/2.0/registry/gc';
const DAY = 86_400_000;

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('garbage collection on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let admin: ApiClient;
  let n = 0;
  const next = () => `${Date.now().toString(36)}-${++n}`;

  beforeAll(async () => {
    t = await startTestApp(env);
    admin = t.as('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  const store = () => t.container.artifactStore;
  const put = (key: string, content: string) => store().put(key, Readable.from([Buffer.from(content)]));
  async function keysUnder(dir: string, s: ArtifactStore = store()): Promise<string[]> {
    const keys: string[] = [];
    for await (const f of s.walk(dir)) keys.push(f.key);
    return keys.sort();
  }
  async function experiment(): Promise<string> {
    return (await admin.post(`${M}/experiments/create`, { name: `gc-${next()}` }).expect(200)).body.experiment_id;
  }
  async function run(exp: string, files: Record<string, string> = {}): Promise<{ id: string; root: string }> {
    const info = (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info;
    const root = `${exp}/${info.run_id}/artifacts`;
    for (const [path, content] of Object.entries(files)) await put(`${root}/${path}`, content);
    await admin
      .post(`${M}/runs/log-batch`, { run_id: info.run_id, params: [{ key: 'p', value: '1' }], metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], tags: [{ key: 't', value: 'v' }] })
      .expect(200);
    return { id: info.run_id, root };
  }
  /** Soft-deletes the run, `daysAgo` days back. */
  async function deleteRun(id: string, daysAgo: number): Promise<void> {
    await admin.post(`${M}/runs/delete`, { run_id: id }).expect(200);
    await t.container.prisma.$executeRaw`UPDATE runs SET deleted_time = ${BigInt(Date.now() - daysAgo * DAY)} WHERE id = ${id}`;
  }
  const rowsOf = async (runId: string) => {
    const [r] = await t.container.prisma.$queryRaw<Array<{ runs: bigint; params: bigint; metrics: bigint; latest: bigint; tags: bigint }>>`
      SELECT (SELECT count(*) FROM runs WHERE id = ${runId}) AS runs, (SELECT count(*) FROM params WHERE run_id = ${runId}) AS params,
             (SELECT count(*) FROM metrics WHERE run_id = ${runId}) AS metrics, (SELECT count(*) FROM latest_metrics WHERE run_id = ${runId}) AS latest,
             (SELECT count(*) FROM run_tags WHERE run_id = ${runId}) AS tags`;
    return { runs: Number(r!.runs), params: Number(r!.params), metrics: Number(r!.metrics), latest: Number(r!.latest), tags: Number(r!.tags) };
  };
  const gcEvents = (action: string) => t.container.prisma.auditEvent.findMany({ where: { action }, orderBy: { id: 'asc' } });

  it('refuses callers who are not administrators', async () => {
    const res = await t.as('alice').post(GC, { dry_run: true }).expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    await t.http.post(GC).send({}).expect(401);
  });

  it('validates its options', async () => {
    expect((await admin.post(GC, { older_than: 'soon' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await admin.post(GC, { experiment_ids: ['x'] }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('a dry run changes nothing and reports counts and bytes; the real run removes old deleted runs with their rows and files, and keeps newer ones', async () => {
    const exp = await experiment();
    const old = await run(exp, { 'a.txt': '12345', 'dir/b.bin': '1234567' });
    const recent = await run(exp, { 'c.txt': 'keep me' });
    const live = await run(exp, { 'd.txt': 'live' });
    await deleteRun(old.id, 40);
    await deleteRun(recent.id, 2);
    const before = { recent: await rowsOf(recent.id), live: await rowsOf(live.id) };
    expect(before.recent).toMatchObject({ runs: 1, params: 1, metrics: 1, latest: 1 });

    const dry = await admin.post(GC, { older_than: '30d', dry_run: true, experiment_ids: [exp] }).expect(200);
    expect(dry.body).toMatchObject({ dry_run: true, runs: { count: 1, files: 2, bytes: 12 }, experiments: { count: 0 }, orphans: { files: 0 } });
    expect(await keysUnder(old.root)).toEqual([`${old.root}/a.txt`, `${old.root}/dir/b.bin`]);
    expect((await rowsOf(old.id)).runs).toBe(1);
    expect(await gcEvents('gc_run')).toEqual([]);

    const real = await admin.post(GC, { older_than: '30d', experiment_ids: [exp] }).expect(200);
    expect(real.body).toMatchObject({ dry_run: false, runs: { count: 1, files: 2, bytes: 12 } });
    expect(await keysUnder(old.root)).toEqual([]);
    expect(await rowsOf(old.id)).toEqual({ runs: 0, params: 0, metrics: 0, latest: 0, tags: 0 });
    await admin.get(`${M}/runs/get`, { run_id: old.id }).expect(404);
    // Deleted 2 days ago, and a live run: both stay with everything they had.
    expect(await rowsOf(recent.id)).toEqual(before.recent);
    expect(await rowsOf(live.id)).toEqual(before.live);
    for (const kept of [recent, live]) expect((await keysUnder(kept.root)).length).toBe(1);
    const events = await gcEvents('gc_run');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'admin',
      resourceType: 'experiment',
      experimentId: BigInt(exp),
      before: expect.objectContaining({ run_id: old.id }),
      after: { files_removed: 2, bytes_removed: 12, files_kept: 0 },
    });
    // The audit trail shows it to whoever may read the experiment.
    const trail = await admin.get('/api/2.0/registry/audit', { experiment_id: exp }).expect(200);
    expect(trail.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'gc_run' })]));
  });

  it('keeps the files a live model version points into, inside a deleted run', async () => {
    const exp = await experiment();
    const r = await run(exp, { 'model/MLmodel': 'flavors: {}', 'model/data.bin': 'weights', 'logs/out.txt': 'log' });
    const name = `gc-kept-${next()}`;
    await admin.post(`${M}/registered-models/create`, { name }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: `runs:/${r.id}/model`, run_id: r.id }).expect(200);
    await deleteRun(r.id, 40);

    const res = await admin.post(GC, { older_than: '30d', experiment_ids: [exp] }).expect(200);
    expect(res.body).toMatchObject({ runs: { count: 1, files: 1, bytes: 3 }, kept: { files: 2, bytes: 'flavors: {}'.length + 'weights'.length } });
    expect(await keysUnder(r.root)).toEqual([`${r.root}/model/MLmodel`, `${r.root}/model/data.bin`]);
    expect((await rowsOf(r.id)).runs).toBe(0);
    // The version still serves its files; an orphan sweep (the run is gone) keeps them too.
    const all = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 30 * DAY, experimentIds: [exp] });
    expect(all.orphans.files).toBe(0);
    expect(await keysUnder(r.root)).toEqual([`${r.root}/model/MLmodel`, `${r.root}/model/data.bin`]);
    const dl = await admin.get(`${M}/model-versions/get-download-uri`, { name, version: '1' }).expect(200);
    expect(dl.body.artifact_uri).toContain(`${r.root}/model`);
  });

  it('removes a deleted experiment with its runs, logged models and files once it is old enough', async () => {
    const exp = await experiment();
    const r = await run(exp, { 'x.txt': 'xx' });
    const model = (await admin.post(`${M}/logged-models`, { experiment_id: exp, name: 'lm' }).expect(200)).body.model.info;
    const modelRoot = `${exp}/models/${model.model_id}/artifacts`;
    await put(`${modelRoot}/MLmodel`, 'lm');
    await put(`${exp}/stray/file.txt`, 'stray');
    // Another, live experiment whose (custom) location lies inside this one's prefix: its files stay.
    const nested = (await admin.post(`${M}/experiments/create`, { name: `gc-nested-${next()}`, artifact_location: `mlflow-artifacts:/${exp}/nested` }).expect(200)).body.experiment_id;
    const nestedRun = (await admin.post(`${M}/runs/create`, { experiment_id: nested }).expect(200)).body.run.info;
    expect(nestedRun.artifact_uri).toBe(`mlflow-artifacts:/${exp}/nested/${nestedRun.run_id}/artifacts`);
    const nestedKey = `${exp}/nested/${nestedRun.run_id}/artifacts/n.txt`;
    await put(nestedKey, 'nested');
    await admin.post(`${M}/experiments/delete`, { experiment_id: exp }).expect(200);

    // Deleted just now: nothing goes.
    expect((await admin.post(GC, { older_than: '30d', experiment_ids: [exp] }).expect(200)).body).toMatchObject({ runs: { count: 0 }, experiments: { count: 0 } });
    const then = BigInt(Date.now() - 40 * DAY);
    await t.container.prisma.$executeRaw`UPDATE experiments SET last_update_time = ${then} WHERE id = ${BigInt(exp)}`;
    await t.container.prisma.$executeRaw`UPDATE runs SET deleted_time = ${then} WHERE experiment_id = ${BigInt(exp)}`;

    const dry = await admin.post(GC, { older_than: '30d', dry_run: true, experiment_ids: [exp] }).expect(200);
    // The run's file is counted once, with the run; the experiment counts the rest of its prefix.
    expect(dry.body).toMatchObject({ runs: { count: 1, files: 1, bytes: 2 }, experiments: { count: 1, files: 2, bytes: 7 }, total: { files: 3, bytes: 9 } });
    const res = await admin.post(GC, { older_than: '30d', experiment_ids: [exp] }).expect(200);
    expect(res.body).toMatchObject({ runs: { count: 1, files: 1 }, experiments: { count: 1, files: 2, bytes: 7 } });
    expect(await keysUnder(exp)).toEqual([nestedKey]);
    await admin.get(`${M}/experiments/get`, { experiment_id: exp }).expect(404);
    // Its prefix now has no experiment, but the nested one's files are not orphans.
    expect((await t.container.gc.run({ olderThanMs: 30 * DAY, experimentIds: [exp] })).orphans.files).toBe(0);
    expect((await t.container.gc.run({ olderThanMs: 30 * DAY })).orphans.files).toBe(0);
    expect(await keysUnder(exp)).toEqual([nestedKey]);
    expect(await t.container.prisma.loggedModel.count({ where: { id: model.model_id } })).toBe(0);
    expect((await rowsOf(r.id)).runs).toBe(0);
    expect(await gcEvents('gc_experiment')).toEqual(
      expect.arrayContaining([expect.objectContaining({ experimentId: BigInt(exp), after: { files_removed: 2, bytes_removed: 7, files_kept: 1 } })]),
    );
  });

  it('a crash midway leaves the rows, and a rerun finishes the job without losing anything live', async () => {
    const exp = await experiment();
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await run(exp, { 'f1.txt': `one-${i}`, 'f2.txt': `two-${i}` }));
    const keep = runs[1]!;
    await put(`${keep.root}/model/MLmodel`, 'live');
    const name = `gc-crash-${next()}`;
    await admin.post(`${M}/registered-models/create`, { name }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: `runs:/${keep.id}/model` }).expect(200);
    const alive = await run(exp, { 'alive.txt': 'alive' });
    for (const r of runs) await deleteRun(r.id, 40);

    // A store that fails on its second removal: the process "dies" in the middle of the batch.
    let removals = 0;
    const real = store();
    const failing: ArtifactStore = Object.create(real, {
      remove: {
        value: async (key: string) => {
          if (++removals > 1) throw new Error('store went away');
          await real.remove(key);
        },
      },
    }) as ArtifactStore;
    await expect(t.container.gc.with({ store: failing }).run({ olderThanMs: 30 * DAY, experimentIds: [exp] })).rejects.toThrow('store went away');
    // The batch rolled back: every row is still there, some files are gone, nothing live was touched.
    for (const r of runs) expect((await rowsOf(r.id)).runs).toBe(1);
    expect(removals).toBe(2);
    expect(await keysUnder(alive.root)).toEqual([`${alive.root}/alive.txt`]);
    expect(await keysUnder(`${keep.root}/model`)).toEqual([`${keep.root}/model/MLmodel`]);
    expect(await gcEvents('gc_run').then((e) => e.filter((x) => x.experimentId === BigInt(exp)))).toEqual([]);

    const report = await t.container.gc.run({ olderThanMs: 30 * DAY, experimentIds: [exp] });
    expect(report.runs.count).toBe(3);
    for (const r of runs) expect((await rowsOf(r.id)).runs).toBe(0);
    expect(await keysUnder(runs[0]!.root)).toEqual([]);
    expect(await keysUnder(runs[2]!.root)).toEqual([]);
    expect(await keysUnder(keep.root)).toEqual([`${keep.root}/model/MLmodel`]);
    expect(await keysUnder(alive.root)).toEqual([`${alive.root}/alive.txt`]);
    expect((await rowsOf(alive.id)).runs).toBe(1);
    expect((await gcEvents('gc_run')).filter((x) => x.experimentId === BigInt(exp))).toHaveLength(3);
  });

  it('lets one collector work at a time (advisory lock); a dry run does not wait for it', async () => {
    const client = new Client({ connectionString: t.container.config.databaseUrl });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [String(0x72656763)]);
      expect((await admin.post(GC, {}).expect(409)).body.error_code).toBe('RESOURCE_CONFLICT');
      await admin.post(GC, { dry_run: true }).expect(200);
    } finally {
      await client.end();
    }
  });

  it('removes old deleted model versions (their numbers stay taken) and orphaned files, and keeps what is referenced', async () => {
    const name = `gc-versions-${next()}`;
    const created = (await admin.post(`${M}/registered-models/create`, { name }).expect(200)).body.registered_model;
    const modelId = (await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } })).id;
    expect(created.name).toBe(name);
    // One upload a live version uses, one nobody uses, one of a model that no longer exists.
    const used = `registry/${modelId}/uploads/${randomUUID()}`;
    const unused = `registry/${modelId}/uploads/${randomUUID()}`;
    await put(`${used}/MLmodel`, 'used');
    await put(`${unused}/MLmodel`, 'unused');
    await put(`registry/99999999/uploads/${randomUUID()}/MLmodel`, 'gone');
    await admin.post(`${M}/model-versions/create`, { name, source: `mlflow-artifacts:/${used}` }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: `mlflow-artifacts:/${used}` }).expect(200);
    await admin.delete(`${M}/model-versions/delete`, { name, version: '2' }).expect(200);
    await t.container.prisma.$executeRaw`UPDATE model_versions SET last_updated_time = ${BigInt(Date.now() - 40 * DAY)} WHERE model_id = ${modelId} AND version = 2`;
    // Files of a run and of a logged model that do not exist, of an experiment that does not exist, and a key outside the layout.
    const exp = await experiment();
    const ghostRun = `${exp}/${randomBytes(16).toString('hex')}/artifacts`;
    const ghostModel = `${exp}/models/m-${randomBytes(16).toString('hex')}/artifacts`;
    await put(`${ghostRun}/x.txt`, 'ghost');
    await put(`${ghostModel}/MLmodel`, 'ghost-model');
    await put('88888888/whatever.txt', 'no experiment');
    await put('outside/layout.txt', 'not ours');
    const liveRun = await run(exp, { 'live.txt': 'live' });

    const dry = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 0, dryRun: true });
    expect(dry.modelVersions.count).toBeGreaterThanOrEqual(1);
    expect(dry.orphans.files).toBeGreaterThanOrEqual(5);
    expect(await keysUnder(ghostRun)).toEqual([`${ghostRun}/x.txt`]);

    const report = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 0 });
    expect(report.modelVersions.count).toBeGreaterThanOrEqual(1);
    expect(await t.container.prisma.modelVersion.count({ where: { modelId, version: 2 } })).toBe(0);
    // The number stays taken.
    expect((await admin.post(`${M}/model-versions/create`, { name, source: `mlflow-artifacts:/${used}` }).expect(200)).body.model_version.version).toBe('3');
    expect(await keysUnder(used)).toEqual([`${used}/MLmodel`]);
    expect(await keysUnder(unused)).toEqual([]);
    expect(await keysUnder('registry/99999999')).toEqual([]);
    expect(await keysUnder(ghostRun)).toEqual([]);
    expect(await keysUnder(ghostModel)).toEqual([]);
    expect(await keysUnder('88888888')).toEqual([]);
    expect(await keysUnder('outside')).toEqual(['outside/layout.txt']);
    expect(await keysUnder(liveRun.root)).toEqual([`${liveRun.root}/live.txt`]);
    const orphanEvents = await gcEvents('gc_orphans');
    expect(orphanEvents.map((e) => (e.before as { prefix: string }).prefix)).toEqual(expect.arrayContaining([unused, ghostRun, ghostModel, '88888888']));
    expect(await gcEvents('gc_model_version')).toEqual([expect.objectContaining({ actor: 'system:gc', modelId, version: 2 })]);
  });
});
