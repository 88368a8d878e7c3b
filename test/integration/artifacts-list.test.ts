import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('GET /mlflow/artifacts/list on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let run: RunFixture;
  const LIST = '/api/2.0/mlflow/artifacts/list';

  beforeAll(async () => {
    t = await startTestApp(env);
    run = await createRun(t, 'alice');
    const alice = bearer(t.as('alice').token);
    for (const [path, body] of [
      ['model/MLmodel', 'flavors: {}'],
      ['model/data/weights.bin', '0123456789'],
      ['metrics.json', '{}'],
    ]) {
      await t.http.put(`${PROXY}/artifacts/${run.root}/${path}`).set(alice).send(body).expect(200);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the run root with root_uri and run-relative paths', async () => {
    const res = await t.as('alice').get(LIST, { run_id: run.runId }).expect(200);
    expect(res.body).toEqual({
      root_uri: run.artifactUri,
      files: [
        { path: 'metrics.json', is_dir: false, file_size: 2 },
        { path: 'model', is_dir: true },
      ],
    });
  });

  it('lists a sub-directory with paths relative to the run root', async () => {
    const res = await t.as('alice').get(LIST, { run_id: run.runId, path: 'model' }).expect(200);
    expect(res.body.files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 11 },
      { path: 'model/data', is_dir: true },
    ]);
    const deeper = await t.as('alice').get(LIST, { run_id: run.runId, path: 'model/data/' }).expect(200);
    expect(deeper.body.files).toEqual([{ path: 'model/data/weights.bin', is_dir: false, file_size: 10 }]);
  });

  it('accepts the legacy run_uuid and the /ajax-api prefix', async () => {
    const res = await t.as('alice').get(LIST.replace('/api/', '/ajax-api/'), { run_uuid: run.runId }).expect(200);
    expect(res.body.root_uri).toBe(run.artifactUri);
  });

  it('answers an empty directory with root_uri only', async () => {
    const res = await t.as('alice').get(LIST, { run_id: run.runId, path: 'nothing' }).expect(200);
    expect(res.body).toEqual({ root_uri: run.artifactUri });
  });

  it('requires run_id', async () => {
    const res = await t.as('alice').get(LIST, { path: 'model' }).expect(400);
    expect(res.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    });
  });

  it('answers 404 for an unknown run and 400 for a traversing path or a bad page token', async () => {
    expect(
      (
        await t
          .as('alice')
          .get(LIST, { run_id: 'f'.repeat(32) })
          .expect(404)
      ).body.error_code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as('alice').get(LIST, { run_id: run.runId, path: '../../' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as('alice').get(LIST, { run_id: run.runId, page_token: '!!' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
