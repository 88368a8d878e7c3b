import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, transition } from './registry-fixtures';

describe('registry under concurrency', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A connection per concurrent request, so they all reach PostgreSQL at once and meet on the
    // model's row lock (what these tests are about), rather than queueing for the pool's five.
    t = await startTestApp({ DATABASE_POOL_SIZE: '60' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('50 concurrent transitions of different versions to Production with archiving leave exactly one Production version', async () => {
    const admin = t.as();
    const name = await createModel(admin);
    const versions: string[] = [];
    for (let i = 0; i < 50; i++) versions.push(await createVersion(admin, name));
    const results = await Promise.all(versions.map((v) => transition(admin, name, v, 'production', true)));
    expect(results.map((r) => r.status)).toEqual(versions.map(() => 200));

    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    const rows = await t.container.prisma.modelVersion.findMany({ where: { modelId: model.id } });
    const production = rows.filter((r) => r.currentStage === 'Production');
    expect(production).toHaveLength(1);
    expect(rows.filter((r) => r.currentStage === 'Archived')).toHaveLength(49);

    const latest = await admin.post(`${API}/registered-models/get-latest-versions`, { name, stages: ['Production'] }).expect(200);
    expect(latest.body.model_versions).toEqual([expect.objectContaining({ version: String(production[0]!.version), current_stage: 'Production' })]);

    // Every transition and every archiving side effect is in the audit trail.
    const events = await t.container.prisma.auditEvent.findMany({ where: { modelId: model.id, action: { in: ['transition_stage', 'archive_existing_version'] } } });
    expect(events.filter((e) => e.action === 'transition_stage')).toHaveLength(50);
    expect(events.filter((e) => e.action === 'archive_existing_version')).toHaveLength(49);
  });

  it('30 concurrent model-versions/create calls allocate 30 distinct numbers 1..30', async () => {
    const admin = t.as();
    const name = await createModel(admin);
    const results = await Promise.all(Array.from({ length: 30 }, () => admin.post(`${API}/model-versions/create`, { name, source: 's3://b/m' })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const numbers = results.map((r) => Number(r.body.model_version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    expect(model.lastVersion).toBe(30);
    expect(await t.container.prisma.modelVersion.count({ where: { modelId: model.id } })).toBe(30);
  });
});
