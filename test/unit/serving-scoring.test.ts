import { onnxMLmodel } from '../../src/lib/onnx/mlmodel-file';
import { toFeeds, toPredictions, type TensorInfo } from '../../src/modules/serving/scoring/feeds';
import { parseMLmodel, servableOnnxFile } from '../../src/modules/serving/scoring/mlmodel';
import { ModelCache } from '../../src/modules/serving/scoring/model-cache';
import { parseCsv, parseScoringRequest } from '../../src/modules/serving/scoring/scoring-input';

const json = (body: unknown) => parseScoringRequest('application/json', Buffer.from(JSON.stringify(body)));
const MATRIX: TensorInfo[] = [{ name: 'input', type: 'float32', shape: ['batch', 3] }];

describe('MLmodel files', () => {
  it('reads the onnx flavor and a column signature as mlflow.onnx.log_model writes them', () => {
    const info = parseMLmodel(
      onnxMLmodel({
        modelFile: 'm.onnx',
        inputs: [
          { type: 'long', name: 'n' },
          { type: 'string', name: 's', required: false },
        ],
      }),
    );
    expect(info.flavors).toEqual(['onnx', 'python_function']);
    expect(servableOnnxFile(info)).toBe('m.onnx');
    expect(info.signature).toEqual({
      kind: 'columns',
      inputs: [
        { kind: 'column', name: 'n', type: 'long', required: true },
        { kind: 'column', name: 's', type: 'string', required: false },
      ],
    });
  });

  it('reads a tensor signature', () => {
    const info = parseMLmodel(onnxMLmodel({ inputs: [{ type: 'tensor', name: 'x', 'tensor-spec': { dtype: 'float32', shape: [-1, 4] } }] }));
    expect(info.signature).toEqual({ kind: 'tensors', inputs: [{ kind: 'tensor', name: 'x', dtype: 'float32', shape: [-1, 4] }] });
  });

  it.each([
    ['flavors:\n  sklearn: {}\n', "has flavors 'sklearn'; servable flavors: onnx"],
    ['artifact_path: m\n', 'has no flavors'],
  ])('refuses %j naming the servable flavors', (text, message) => {
    expect(() => servableOnnxFile(parseMLmodel(text))).toThrow(message);
  });

  it('refuses a broken file, a path outside the model and column types ONNX cannot take', () => {
    expect(() => parseMLmodel('flavors: [unclosed')).toThrow('Invalid MLmodel file: not YAML');
    expect(() => servableOnnxFile(parseMLmodel('flavors:\n  onnx:\n    data: ../x.onnx\n'))).toThrow('not a relative path');
    expect(() => parseMLmodel(onnxMLmodel({ inputs: [{ type: 'binary' as 'string', name: 'b' }] }))).toThrow('signature input b has type "binary"');
  });
});

describe('scoring requests', () => {
  it('reads dataframe_split, dataframe_records, instances and inputs', () => {
    expect(json({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } }).input).toEqual({ kind: 'frame', columns: ['a', 'b'], rows: [[1, 2]] });
    expect(json({ dataframe_records: [{ a: 1 }, { b: 2 }] }).input).toEqual({
      kind: 'frame',
      columns: ['a', 'b'],
      rows: [
        [1, undefined],
        [undefined, 2],
      ],
    });
    expect(json({ instances: [[1, 2]] }).input).toEqual({ kind: 'tensor', value: [[1, 2]] });
    expect(json({ instances: [{ x: 1 }, { x: 2 }] }).input).toEqual({ kind: 'named', tensors: { x: [1, 2] } });
    expect(json({ inputs: { x: [1] }, params: { k: 1 } })).toEqual({ input: { kind: 'named', tensors: { x: [1] } }, params: { k: 1 } });
  });

  it('reads CSV with quotes, numbers, booleans and empty fields', () => {
    expect(parseCsv('a,"b,c",d\r\n1.5,"x ""y""",True\n-2e3,,false\n')).toEqual({
      kind: 'frame',
      columns: ['a', 'b,c', 'd'],
      rows: [
        [1.5, 'x "y"', true],
        [-2000, null, false],
      ],
    });
  });

  it('answers 415 for other content types, charsets and parameters', () => {
    for (const type of ['text/plain', 'application/json; charset=latin-1', 'application/json; format=pandas-split']) {
      expect(() => parseScoringRequest(type, Buffer.from('{}'))).toThrow(expect.objectContaining({ status: 415 }));
    }
    expect(parseScoringRequest('application/json; charset=UTF-8', Buffer.from('{"inputs": [1]}')).input).toEqual({ kind: 'tensor', value: [1] });
  });
});

describe('feeds and predictions', () => {
  it('maps a table onto one matrix input in the signature order', () => {
    const signature = parseMLmodel(onnxMLmodel({ inputs: ['a', 'b', 'c'].map((name) => ({ type: 'double' as const, name })) })).signature;
    const { feeds, rows } = toFeeds({ kind: 'frame', columns: ['c', 'a', 'b'], rows: [[3, 1, 2]] }, signature, MATRIX);
    expect(rows).toBe(1);
    expect(feeds.input).toEqual({ type: 'float32', dims: [1, 3], data: Float32Array.from([1, 2, 3]) });
  });

  it('converts to the ONNX element types and refuses what does not fit, naming it', () => {
    const ints: TensorInfo[] = [{ name: 'n', type: 'int64', shape: [-1] }];
    expect(toFeeds({ kind: 'named', tensors: { n: [1, 2] } }, undefined, ints).feeds.n!.data).toEqual(BigInt64Array.from([1n, 2n]));
    expect(() => toFeeds({ kind: 'named', tensors: { n: [1.5] } }, undefined, ints)).toThrow("Incompatible input types for tensor 'n'. Can not safely convert a float to int64.");
    expect(() => toFeeds({ kind: 'named', tensors: { m: [1] } }, undefined, ints)).toThrow('Model is missing inputs ["n"]. Note that there were extra inputs: ["m"].');
    expect(() => toFeeds({ kind: 'tensor', value: [[1, 2, 3, 4]] }, undefined, MATRIX)).toThrow('Shape of input (1, 4) does not match expected shape (-1, 3)');
  });

  it('answers one record per row for tables, and named tensors otherwise', () => {
    const outputs = { y: { type: 'float32', dims: [2, 1], data: Float32Array.from([1, 2]) }, z: { type: 'int64', dims: [2, 2], data: BigInt64Array.from([1n, 2n, 3n, 4n]) } };
    expect(toPredictions(outputs, 2)).toEqual([
      { y: 1, z: [1, 2] },
      { y: 2, z: [3, 4] },
    ]);
    expect(toPredictions(outputs, undefined)).toEqual({
      y: [[1], [2]],
      z: [
        [1, 2],
        [3, 4],
      ],
    });
  });
});

describe('the model cache', () => {
  it('evicts the least recently used by count and bytes, and releases a model in use only when its last lease ends', async () => {
    const disposed: string[] = [];
    const cache = new ModelCache<string>(2, 100, (v) => disposed.push(v));
    const load =
      (v: string, bytes = 10) =>
      () =>
        Promise.resolve({ value: v, bytes });
    const a = await cache.acquire('a', load('A'));
    (await cache.acquire('b', load('B'))).release();
    (await cache.acquire('c', load('C'))).release(); // evicts a, still leased
    expect(cache.stats()).toMatchObject({ models: 2, bytes: 20, draining: 1, drainingBytes: 10, keys: ['b', 'c'] });
    expect(disposed).toEqual([]);
    a.release();
    a.release(); // twice is once
    expect(disposed).toEqual(['A']);
    (await cache.acquire('d', load('D', 95))).release(); // bytes: b and c go
    expect(cache.stats()).toMatchObject({ models: 1, bytes: 95, draining: 0, keys: ['d'] });
    expect(disposed).toEqual(['A', 'B', 'C']);
    await expect(cache.acquire('e', load('E', 101))).rejects.toThrow('SERVING_MAX_MODEL_BYTES=100');
  });

  it('shares one load between concurrent acquires of a key', async () => {
    let loads = 0;
    const cache = new ModelCache<number>(2, 100, () => undefined);
    const load = () => Promise.resolve({ value: ++loads, bytes: 1 });
    const [x, y] = await Promise.all([cache.acquire('k', load), cache.acquire('k', load)]);
    expect([x.value, y.value, loads]).toEqual([1, 1, 1]);
  });
});
