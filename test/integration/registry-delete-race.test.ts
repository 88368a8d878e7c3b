import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel } from './registry-fixtures';

/**
 * Deleting a registered model while versions of it are being created: each create either wins
 * (200, its version then cascades away with the model) or finds the model gone (404
 * RESOURCE_DOES_NOT_EXIST), never 500, and nothing of the model is left behind.
 */
describe('registered-models/delete racing model-versions/create', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const ROUNDS = 8;
  const N = 20;

  it(`${N} concurrent creates against one delete answer 200 or 404 and leave no rows, over ${ROUNDS} rounds`, async () => {
    const admin = t.as();
    for (let round = 0; round < ROUNDS; round++) {
      const name = await createModel(admin);
      const { id } = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
      // The delete starts 0 to 15 ms after the creates, so that it falls among them at different points.
      const [deleted, ...creates] = await Promise.all([
        sleep((round % 4) * 5).then(() => admin.delete(`${API}/registered-models/delete`, { name })),
        ...Array.from({ length: N }, () => admin.post(`${API}/model-versions/create`, { name, source: 's3://b/m', tags: [{ key: 'k', value: 'v' }] })),
      ]);
      expect(deleted.status).toBe(200);
      for (const res of creates) {
        if (res.status === 200) {
          expect(res.body.model_version).toMatchObject({ name, version: expect.any(String) });
        } else {
          expect(res.status).toBe(404);
          expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
        }
      }
      const left = await t.container.prisma.$queryRaw<Array<{ versions: bigint; tags: bigint; models: bigint }>>`
        SELECT (SELECT count(*) FROM model_versions WHERE model_id = ${id}) AS versions,
               (SELECT count(*) FROM model_version_tags WHERE model_id = ${id}) AS tags,
               (SELECT count(*) FROM registered_models WHERE id = ${id}) AS models`;
      expect(left).toEqual([{ versions: 0n, tags: 0n, models: 0n }]);
      await admin.get(`${API}/registered-models/get`, { name }).expect(404);
    }
  });
});
