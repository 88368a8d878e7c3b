import { MODEL_NAME, ROUTES, runExample, SERVING_USER } from '../../examples/flight-delay/example';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tokenFor } from '../helpers/tokens';

/**
 * examples/flight-delay end to end, as `npm run example:flight-delay` runs it but against a registry
 * on the test database and S3 store (the embedded default is slower to start): the model is trained,
 * logged, registered and promoted through the public API, served by the serving job behind the
 * delay service, and a second promotion changes the answers with nothing restarted.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
});
afterAll(async () => {
  await t.close();
});

it('answers GET /api/v1/modelo_atrasos/origem=…/destino=… from Production, and follows a promotion', async () => {
  const lines: string[] = [];
  const result = await runExample({
    registryUrl: t.baseUrl,
    adminToken: tokenFor('admin', { admin: true }),
    tokenFor: (user) => tokenFor(user),
    pollInterval: '300ms',
    log: (l) => lines.push(l),
  });
  expect(result.versions).toEqual(['1', '2']);
  // Every answer is the model's own prediction, in the service's shape.
  for (const answers of [result.before, result.after]) {
    expect(answers.map((a) => [a.origem, a.destino])).toEqual(ROUTES);
    for (const a of answers) expect(Math.abs(a.atraso - a.expected)).toBeLessThanOrEqual(1);
  }
  // Summer: Brazil → Canada ≈ 12 + 25 + 8 = 45 min; winter: ≈ 20 + 10 + 120 = 150 min.
  expect(Math.abs(result.before[0]!.atraso - 45)).toBeLessThanOrEqual(3);
  expect(Math.abs(result.after[0]!.atraso - 150)).toBeLessThanOrEqual(3);
  expect(result.servingJobPid[0]).toBe(result.servingJobPid[1]);

  // What the registry holds afterwards: v2 in Production, v1 archived, the runs' files and a USE grant only.
  const admin = t.as();
  const versions = (await admin.post('/api/2.0/mlflow/registered-models/get-latest-versions', { name: MODEL_NAME }).expect(200)).body.model_versions as Array<{
    version: string;
    current_stage: string;
    run_id: string;
  }>;
  expect(versions.map((v) => [v.version, v.current_stage]).sort()).toEqual([
    ['1', 'Archived'],
    ['2', 'Production'],
  ]);
  const files = await admin.get('/api/2.0/mlflow/artifacts/list', { run_id: versions[0]!.run_id, path: 'model' }).expect(200);
  expect((files.body.files as Array<{ path: string }>).map((f) => f.path).sort()).toEqual(['model/MLmodel', 'model/model.onnx']);
  const grant = await admin.get('/api/2.0/mlflow/registered-models/permissions/get', { name: MODEL_NAME, username: SERVING_USER }).expect(200);
  expect(grant.body.registered_model_permission.permission).toBe('USE');
  expect(lines.join('\n')).toMatch(/answers with version 2 \(same service, same serving job pid/);
}, 90_000);
