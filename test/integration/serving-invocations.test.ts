import { linearModel } from '../../src/lib/onnx/linear-model';
import { onnxMLmodel } from '../../src/lib/onnx/mlmodel-file';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, grant, transition } from './registry-fixtures';
import { abc, ABC_COLUMNS, ABC_TENSOR, invoke, onnxVersion, registerVersion } from './serving-fixtures';

/**
 * POST /api/2.0/serving/models/<name>/<selector>/invocations (README "Predictions"): MLflow's
 * scoring protocol on ONNX models registered through the public API. The models are linear
 * (y = a + 2b + 3c + bias), so every prediction is known exactly.
 */
let t: TestApp;
let columns: string; // MLmodel with a column signature (a, b, c)
let tensors: string; // MLmodel with a tensor signature [-1, 3]
let bare: string; // a bare model.onnx
const modelBytes = linearModel(abc(0.5)).length;

beforeAll(async () => {
  // Room for two of these models by bytes (the count alone would allow three).
  t = await startTestApp({ SERVING_MAX_MODELS: '3', SERVING_MAX_MODEL_BYTES: String(2 * modelBytes + 10) });
  const alice = t.as('alice');
  columns = await createModel(alice);
  await registerVersion(t, columns, onnxVersion(abc(0.5), ABC_COLUMNS));
  tensors = await createModel(alice);
  await registerVersion(t, tensors, onnxVersion(abc(0.5), ABC_TENSOR));
  bare = await createModel(alice);
  await registerVersion(t, bare, { onnx: linearModel(abc(0.5)) });
});
afterAll(async () => {
  await t.close();
});

const ROWS = [
  [1, 1, 1],
  [2, 0, 1],
];
const RECORDS = [{ output: 6.5 }, { output: 5.5 }];

describe('every input format of the scoring protocol', () => {
  it('answers dataframe_split, dataframe_records and text/csv with one record per row', async () => {
    const split = await invoke(t, columns, '1', { dataframe_split: { columns: ['a', 'b', 'c'], data: ROWS } }).expect(200);
    expect(split.body).toEqual({ predictions: RECORDS });
    // Columns in another order and as records: mapped by name, not position.
    const records = await invoke(t, columns, '1', {
      dataframe_records: [
        { c: 1, b: 1, a: 1 },
        { b: 0, a: 2, c: 1 },
      ],
    }).expect(200);
    expect(records.body).toEqual({ predictions: RECORDS });
    const csv = await invoke(t, columns, 'latest', 'c,a,b\n1,1,1\n1,2,0\n', { contentType: 'text/csv' }).expect(200);
    expect(csv.body).toEqual({ predictions: RECORDS });
    expect(csv.headers['x-registry-model-version']).toBe('1');
  });

  it('answers instances and inputs, as rows or named columns, with a column signature', async () => {
    expect(
      (
        await invoke(t, columns, '1', {
          instances: [
            { a: 1, b: 1, c: 1 },
            { a: 2, b: 0, c: 1 },
          ],
        }).expect(200)
      ).body,
    ).toEqual({ predictions: RECORDS });
    expect((await invoke(t, columns, '1', { inputs: { a: [1, 2], b: [1, 0], c: [1, 1] }, params: {} }).expect(200)).body).toEqual({ predictions: RECORDS });
  });

  it('answers tensors with the output tensor, for a tensor signature and for a bare model.onnx', async () => {
    for (const name of [tensors, bare]) {
      expect((await invoke(t, name, '1', { instances: ROWS }).expect(200)).body).toEqual({ predictions: { output: [[6.5], [5.5]] } });
      expect((await invoke(t, name, '1', { inputs: { input: ROWS } }).expect(200)).body).toEqual({ predictions: { output: [[6.5], [5.5]] } });
      expect((await invoke(t, name, '1', { dataframe_split: { data: ROWS } }).expect(200)).body).toEqual({ predictions: RECORDS });
    }
  });

  it('feeds one column per input to a model with several inputs', async () => {
    const name = await createModel(t.as('alice'));
    await registerVersion(t, name, { onnx: linearModel({ weights: [[1], [10]], bias: [0], inputs: ['x', 'y'], output: 'z' }), mlmodel: onnxMLmodel() });
    const res = await invoke(t, name, '1', {
      dataframe_records: [
        { x: 1, y: 2 },
        { y: 3, x: 4 },
      ],
    }).expect(200);
    expect(res.body).toEqual({ predictions: [{ z: 21 }, { z: 34 }] });
    const missing = await invoke(t, name, '1', { dataframe_records: [{ x: 1 }] }).expect(400);
    expect(missing.body.message).toContain('Model is missing inputs ["y"]');
  });
});

describe('requests the signature or the protocol refuses', () => {
  it.each([
    ['a missing column', { dataframe_records: [{ a: 1, b: 1 }] }, 'Model is missing inputs ["c"]'],
    ['a column of the wrong type', { dataframe_split: { columns: ['a', 'b', 'c'], data: [['x', 1, 1]] } }, 'Incompatible input types for column a'],
    ['a missing value', { dataframe_records: [{ a: 1, b: null, c: 1 }] }, 'Incompatible input types for column b'],
    ['two input fields', { instances: ROWS, inputs: ROWS }, 'exactly one of the input fields'],
    ['no input field', { data: ROWS }, 'Received dictionary with input fields: ["data"]'],
    ['a list', ROWS, 'Received a list'],
  ])('answers 400 BAD_REQUEST naming the problem for %s', async (_what, body, message) => {
    const res = await invoke(t, columns, '1', body).expect(400);
    expect(res.body.error_code).toBe('BAD_REQUEST');
    expect(res.body.message).toContain(message);
  });

  it('answers 400 naming the shape for a tensor of the wrong shape, and for ragged lists', async () => {
    const res = await invoke(t, tensors, '1', { instances: [[1, 2]] }).expect(400);
    expect(res.body).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(res.body.message).toContain('Shape of input (1, 2) does not match expected shape (-1, 3)');
    const ragged = await invoke(t, bare, '1', { inputs: [[1, 2, 3], [1]] }).expect(400);
    expect(ragged.body.message).toContain('ragged');
  });

  it('answers 415 for other content types and charsets, and 400 for broken JSON or CSV', async () => {
    expect((await invoke(t, columns, '1', 'a,b', { contentType: 'text/plain' }).expect(415)).body.message).toContain("Got 'text/plain'");
    await invoke(t, columns, '1', '{}', { contentType: 'application/json; charset=latin-1' }).expect(415);
    expect((await invoke(t, columns, '1', '{"inputs": [').expect(400)).body.message).toContain('Failed to parse input from JSON');
    expect((await invoke(t, columns, '1', 'a,b,c\n1,2\n', { contentType: 'text/csv' }).expect(400)).body.message).toContain('line 2 has 2 fields');
  });

  it('refuses a version whose flavors it cannot serve, naming the servable ones', async () => {
    const name = await createModel(t.as('alice'));
    await registerVersion(t, name, { mlmodel: 'flavors:\n  sklearn:\n    pickled_model: model.pkl\n  python_function:\n    loader_module: mlflow.sklearn\n' });
    const res = await invoke(t, name, '1', { instances: ROWS }).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain("has flavors 'sklearn', 'python_function'; servable flavors: onnx");
  });
});

describe('who may ask for predictions', () => {
  let name: string;
  beforeAll(async () => {
    const alice = t.as('alice');
    name = await createModel(alice);
    await registerVersion(t, name, onnxVersion(abc(0), ABC_COLUMNS)); // 1: None
    await registerVersion(t, name, onnxVersion(abc(100), ABC_COLUMNS)); // 2: Production
    await registerVersion(t, name, onnxVersion(abc(200), ABC_COLUMNS)); // 3: @champion (protected)
    await registerVersion(t, name, onnxVersion(abc(300), ABC_COLUMNS)); // 4: @candidate
    await transition(alice, name, '2', 'Production').expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '3' }).expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'candidate', version: '4' }).expect(200);
    await grant(t, name, 'erin', 'USE');
    await grant(t, name, 'rita', 'READ');
    await grant(t, name, 'nobody', 'NO_PERMISSIONS');
  });
  const one = { dataframe_records: [{ a: 1, b: 1, c: 1 }] };

  it('serves a USE caller the Production version and protected aliases only', async () => {
    expect((await invoke(t, name, 'Production', one, { user: 'erin' }).expect(200)).body).toEqual({ predictions: [{ output: 106 }] });
    expect((await invoke(t, name, '@champion', one, { user: 'erin' }).expect(200)).body).toEqual({ predictions: [{ output: 206 }] });
    for (const selector of ['1', '4', '@candidate']) {
      expect((await invoke(t, name, selector, one, { user: 'erin' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    }
    // A stage USE cannot see versions in: version 3 is in None, but seen through its protected alias.
    expect((await invoke(t, name, 'Staging', one, { user: 'erin' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('serves a READ caller every version, and refuses a caller with no permission before reading the body', async () => {
    expect((await invoke(t, name, '1', one, { user: 'rita' }).expect(200)).body).toEqual({ predictions: [{ output: 6 }] });
    expect((await invoke(t, name, '@candidate', one, { user: 'rita' }).expect(200)).body).toEqual({ predictions: [{ output: 306 }] });
    const res = await invoke(t, name, 'Production', one, { user: 'nobody' }).expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    await t.http.post(`/api/2.0/serving/models/${name}/Production/invocations`).send(one).expect(401);
  });
});

describe('the session cache', () => {
  it('keeps at most SERVING_MAX_MODEL_BYTES of models loaded after serving more versions than fit', async () => {
    const name = await createModel(t.as('alice'));
    for (let i = 0; i < 4; i++) await registerVersion(t, name, onnxVersion(abc(i), ABC_COLUMNS));
    for (let i = 0; i < 4; i++) {
      const res = await invoke(t, name, String(i + 1), { dataframe_records: [{ a: 0, b: 0, c: 0 }] }).expect(200);
      expect(res.body).toEqual({ predictions: [{ output: i }] });
    }
    const stats = t.container.predictions.stats();
    expect(stats.models).toBe(2);
    expect(stats.bytes).toBeLessThanOrEqual(2 * modelBytes + 10);
    expect(stats.draining).toBe(0);
    // The two most recently used stayed: serving them again loads nothing.
    const keys = stats.keys;
    await invoke(t, name, '4', { dataframe_records: [{ a: 0, b: 0, c: 0 }] }).expect(200);
    expect(t.container.predictions.stats().keys.sort()).toEqual([...keys].sort());
  });
});
