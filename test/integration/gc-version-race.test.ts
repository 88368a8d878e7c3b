import { Readable } from 'node:stream';
import { startTestApp, type TestApp, type ApiClient } from '../helpers/test-app';

const M = '/api/2.0/mlflow';
const GC = '/api/2.0/registry/gc';
const DAY = 86_400_000;

// Registering a version from a deleted run while the garbage collector removes that run: the two
// meet on the run's row (the collector locks what it removes, a new version holds what its files are in).
describe('garbage collection racing a new model version', () => {
  let t: TestApp;
  let admin: ApiClient;
  let n = 0;
  const next = () => `${Date.now().toString(36)}-${++n}`;

  beforeAll(async () => {
    t = await startTestApp();
    admin = t.as('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  async function deletedRunWithModel(): Promise<{ runId: string; key: string; model: string }> {
    const exp = (await admin.post(`${M}/experiments/create`, { name: `race-${next()}` }).expect(200)).body.experiment_id;
    const runId = (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
    const key = `${exp}/${runId}/artifacts/model/MLmodel`;
    await t.container.artifactStore.put(key, Readable.from([Buffer.from('flavors: {}\n')]));
    await admin.post(`${M}/runs/delete`, { run_id: runId }).expect(200);
    await t.container.prisma.$executeRaw`UPDATE runs SET deleted_time = ${BigInt(Date.now() - 40 * DAY)} WHERE id = ${runId}`;
    const model = `race-${next()}`;
    await admin.post(`${M}/registered-models/create`, { name: model }).expect(200);
    return { runId, key, model };
  }
  const versionsOf = (model: string) => t.container.prisma.modelVersion.count({ where: { model: { name: model } } });
  const exists = async (key: string) => {
    for await (const f of t.container.artifactStore.walk(key.split('/').slice(0, -1).join('/'))) if (f.key === key) return true;
    return false;
  };

  it('a version whose run the collector is removing waits, then answers 404 and registers nothing', async () => {
    const { runId, model } = await deletedRunWithModel();
    let answer: Promise<{ status: number; body: { error_code?: string } }> | undefined;
    await t.container.prisma.$transaction(async (tx) => {
      // What a collector's batch does: lock the run, then remove it.
      await tx.$queryRaw`SELECT id FROM runs WHERE id = ${runId} FOR UPDATE`;
      answer = admin.post(`${M}/model-versions/create`, { name: model, source: `runs:/${runId}/model`, run_id: runId }).then((r) => r);
      let settled = false;
      void answer.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 400));
      expect(settled).toBe(false);
      await tx.$executeRaw`DELETE FROM runs WHERE id = ${runId}`;
    });
    const res = await answer!;
    expect({ status: res.status, error_code: res.body.error_code }).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await versionsOf(model)).toBe(0);
  });

  it('the collector passes over a run a new version is being registered from, and keeps its files once the version exists', async () => {
    const { runId, key, model } = await deletedRunWithModel();
    await t.container.prisma.$transaction(async (tx) => {
      // What a version being registered holds until it commits.
      await tx.$queryRaw`SELECT id FROM runs WHERE id = ${runId} FOR KEY SHARE`;
      const gc = await admin.post(GC, { older_than: '30d' }).expect(200);
      expect(gc.body).toBeDefined();
    });
    expect(await t.container.prisma.run.count({ where: { id: runId } })).toBe(1);
    expect(await exists(key)).toBe(true);

    await admin.post(`${M}/model-versions/create`, { name: model, source: `runs:/${runId}/model`, run_id: runId }).expect(200);
    await admin.post(GC, { older_than: '30d' }).expect(200);
    // The run goes; the files the version points at stay.
    expect(await t.container.prisma.run.count({ where: { id: runId } })).toBe(0);
    expect(await exists(key)).toBe(true);
    expect(await versionsOf(model)).toBe(1);
  });
});
