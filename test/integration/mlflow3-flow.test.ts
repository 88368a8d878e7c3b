import { startTestApp, type TestApp } from '../helpers/test-app';

// The MLflow 3.x client's log_model and register_model request sequence (mlflow-api.md §1.9).
let t: TestApp;
const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

it('logs a model the 3.x way, links it to its run, registers it and serves it', async () => {
  const a = t.as('alice');
  const exp = (await a.post(`${M}/experiments/create`, { name: 'mlflow3' }).expect(200)).body.experiment_id;
  const run = (await a.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;

  // log_model: create the logged model, upload its files, finalize, link it to the run
  const model = (await a.post(`${M}/logged-models`, { experiment_id: exp, name: 'model', source_run_id: run }).expect(200)).body.model.info;
  const root = (model.artifact_uri as string).replace('mlflow-artifacts:/', '');
  await t.http.put(`${A}/${root}/MLmodel`).set('Authorization', `Bearer ${a.token}`).set('Content-Type', 'text/plain').send('flavors: {}\n').expect(200);
  await a.patch(`${M}/logged-models/${model.model_id}`, { status: 'LOGGED_MODEL_READY' }).expect(200);
  await a.post(`${M}/runs/outputs`, { run_id: run, models: [{ model_id: model.model_id, step: 0 }] }).expect(200);
  await a.post(`${M}/runs/log-inputs`, { run_id: run, models: [{ model_id: model.model_id }] }).expect(200);
  const got = (await a.get(`${M}/runs/get`, { run_id: run }).expect(200)).body.run;
  expect(got.outputs).toEqual({ model_outputs: [{ model_id: model.model_id, step: 0 }] });
  expect(got.inputs.model_inputs).toEqual([{ model_id: model.model_id }]);

  // register_model("models:/m-..."): create the registered model, the version, then tag the logged model
  await a.post(`${M}/registered-models/create`, { name: 'm3' }).expect(200);
  const version = (await a.post(`${M}/model-versions/create`, { name: 'm3', source: `models:/${model.model_id}`, model_id: model.model_id, run_id: run }).expect(200)).body.model_version;
  expect(version).toMatchObject({ version: '1', model_id: model.model_id, run_id: run });
  await a.patch(`${M}/logged-models/${model.model_id}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: JSON.stringify([{ name: 'm3', version: 1 }]) }] }).expect(200);
  const uri = (await a.get(`${M}/model-versions/get-download-uri`, { name: 'm3', version: '1' }).expect(200)).body.artifact_uri;
  expect(uri).toBe(model.artifact_uri);
  const listing = await a.get(A, { path: root }).expect(200);
  expect(listing.body.files).toEqual([{ path: 'MLmodel', is_dir: false, file_size: 12 }]);

  // runs/outputs refuses bad input and unknown runs like every run write
  expect((await a.post(`${M}/runs/outputs`, { run_id: run, models: [{ step: 0 }] }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  expect((await a.post(`${M}/runs/outputs`, { run_id: 'f'.repeat(32), models: [] }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
});
