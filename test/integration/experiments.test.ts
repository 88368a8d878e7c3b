import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const E = '/api/2.0/mlflow/experiments';

describe('experiments', () => {
  it('has the Default experiment "0"', async () => {
    const res = await t.as().get(`${E}/get`, { experiment_id: '0' }).expect(200);
    expect(res.body.experiment).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active', artifact_location: 'mlflow-artifacts:/0' });
    expect(typeof res.body.experiment.creation_time).toBe('number');
  });

  it('creates an experiment with a default mlflow-artifacts location and tags, readable by id and by name', async () => {
    const created = await t
      .as('alice')
      .post(`${E}/create`, { name: 'exp-a', tags: [{ key: 'team', value: 'fraud' }] })
      .expect(200);
    const id = created.body.experiment_id as string;
    expect(id).toMatch(/^\d+$/);
    const byId = await t.as('alice').get(`${E}/get`, { experiment_id: id }).expect(200);
    expect(byId.body.experiment).toMatchObject({ experiment_id: id, name: 'exp-a', artifact_location: `mlflow-artifacts:/${id}`, tags: [{ key: 'team', value: 'fraud' }] });
    const byName = await t.as('bob').get(`${E}/get-by-name`, { experiment_name: 'exp-a' }).expect(200);
    expect(byName.body.experiment.experiment_id).toBe(id);
    const grant = await t.container.prisma.permissionGrant.findFirst({ where: { resourceType: 'experiment', resourceId: id, principal: 'alice' } });
    expect(grant?.level).toBe('MANAGE');
  });

  it('accepts an explicit artifact location and refuses runs:/ locations', async () => {
    const ok = await t.as().post(`${E}/create`, { name: 'exp-loc', artifact_location: 's3://bucket/path' }).expect(200);
    const got = await t.as().get(`${E}/get`, { experiment_id: ok.body.experiment_id }).expect(200);
    expect(got.body.experiment.artifact_location).toBe('s3://bucket/path');
    const bad = await t.as().post(`${E}/create`, { name: 'exp-runs', artifact_location: 'runs:/abc/x' }).expect(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses duplicate names with RESOURCE_ALREADY_EXISTS (400), also for deleted experiments', async () => {
    const { body } = await t.as().post(`${E}/create`, { name: 'dup' }).expect(200);
    const dup = await t.as().post(`${E}/create`, { name: 'dup' }).expect(400);
    expect(dup.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    await t.as().post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(200);
    expect((await t.as().post(`${E}/create`, { name: 'dup' }).expect(400)).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it.each([
    [{}, "Missing value for required parameter 'name'"],
    [{ name: '' }, "Missing value for required parameter 'name'"],
    [{ name: 42 }, "parameter 'name'"],
    [{ name: 'x'.repeat(501) }, 'exceeded length limit of 500'],
    [{ name: 'ok-tags', tags: [{ key: '../x', value: 'v' }] }, 'Invalid tag name'],
  ])('answers 400 INVALID_PARAMETER_VALUE to create %j', async (body, message) => {
    const res = await t.as().post(`${E}/create`, body).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for unknown ids and names, 400 for malformed ids', async () => {
    expect((await t.as().get(`${E}/get`, { experiment_id: '987654' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${E}/get-by-name`, { experiment_name: 'nope' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${E}/get`, { experiment_id: 'abc' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as().get(`${E}/get`).expect(400)).body.message).toContain("'experiment_id'");
  });

  it('renames, and refuses to rename a deleted experiment with INVALID_STATE', async () => {
    const { body } = await t.as().post(`${E}/create`, { name: 'before' }).expect(200);
    await t.as().post(`${E}/update`, { experiment_id: body.experiment_id, new_name: 'after' }).expect(200);
    expect((await t.as().get(`${E}/get`, { experiment_id: body.experiment_id })).body.experiment.name).toBe('after');
    await t.as().post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(200);
    const res = await t.as().post(`${E}/update`, { experiment_id: body.experiment_id, new_name: 'again' }).expect(400);
    expect(res.body.error_code).toBe('INVALID_STATE');
  });

  it('soft-deletes with its runs and restores exactly those runs', async () => {
    const { body } = await t.as().post(`${E}/create`, { name: 'lifecycle' }).expect(200);
    const id = BigInt(body.experiment_id);
    const now = BigInt(Date.now());
    await t.container.prisma.run.createMany({
      data: [
        { id: 'a'.repeat(32), experimentId: id, status: 'RUNNING', startTime: now, artifactUri: 'x' },
        { id: 'b'.repeat(32), experimentId: id, status: 'RUNNING', startTime: now, artifactUri: 'x', lifecycleStage: 'deleted', deletedTime: 1n },
      ],
    });
    await t.as().post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(200);
    expect((await t.as().get(`${E}/get`, { experiment_id: body.experiment_id })).body.experiment.lifecycle_stage).toBe('deleted');
    expect((await t.container.prisma.run.findUnique({ where: { id: 'a'.repeat(32) } }))?.lifecycleStage).toBe('deleted');
    expect((await t.as().post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await t.as().post(`${E}/restore`, { experiment_id: body.experiment_id }).expect(200);
    expect((await t.container.prisma.run.findUnique({ where: { id: 'a'.repeat(32) } }))?.lifecycleStage).toBe('active');
    expect((await t.container.prisma.run.findUnique({ where: { id: 'b'.repeat(32) } }))?.lifecycleStage).toBe('deleted');
    expect((await t.as().post(`${E}/restore`, { experiment_id: body.experiment_id }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('sets, overwrites and deletes experiment tags; deleting a missing tag is 404', async () => {
    const { body } = await t.as().post(`${E}/create`, { name: 'tagged' }).expect(200);
    const id = body.experiment_id;
    await t.as().post(`${E}/set-experiment-tag`, { experiment_id: id, key: 'k', value: 'v1' }).expect(200);
    await t.as().post(`${E}/set-experiment-tag`, { experiment_id: id, key: 'k', value: 'v2' }).expect(200);
    expect((await t.as().get(`${E}/get`, { experiment_id: id })).body.experiment.tags).toEqual([{ key: 'k', value: 'v2' }]);
    await t.as().post(`${E}/delete-experiment-tag`, { experiment_id: id, key: 'k' }).expect(200);
    expect((await t.as().get(`${E}/get`, { experiment_id: id })).body.experiment.tags).toBeUndefined();
    expect((await t.as().post(`${E}/delete-experiment-tag`, { experiment_id: id, key: 'k' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(
      (
        await t
          .as()
          .post(`${E}/set-experiment-tag`, { experiment_id: id, key: 'k', value: 'x'.repeat(5001) })
          .expect(400)
      ).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
  });

  it('denies a user whose grant is NO_PERMISSIONS and hides the experiment from their searches', async () => {
    const { body } = await t.as('owner').post(`${E}/create`, { name: 'secret' }).expect(200);
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: body.experiment_id, principalType: 'user', principal: 'mallory', level: 'NO_PERMISSIONS', createdAt: 0n },
    });
    const denied = await t.as('mallory').get(`${E}/get`, { experiment_id: body.experiment_id }).expect(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    expect(denied.body.message).toContain('READ');
    const search = await t.as('mallory').post(`${E}/search`, { filter: "name = 'secret'" }).expect(200);
    expect(search.body.experiments).toBeUndefined();
    const owner = await t.as('owner').post(`${E}/search`, { filter: "name = 'secret'" }).expect(200);
    expect(owner.body.experiments).toHaveLength(1);
    expect((await t.as('mallory').post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});
