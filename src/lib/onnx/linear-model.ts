/**
 * A tiny ONNX writer for tests, examples and benchmarks: linear models y = X·W + b as ModelProto
 * bytes, with no Python and no protobuf library. The few fields written follow onnx/onnx.proto
 * (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto);
 * protobuf's wire format is https://protobuf.dev/programming-guides/encoding/.
 */

const FLOAT = 1; // TensorProto.DataType.FLOAT
const IR_VERSION = 8;
const OPSET = 13;
// Internal names, unlikely to meet an input's name (ONNX refuses an input named like an initializer).
const WEIGHTS = '__W';
const BIAS = '__b';

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);

/** A varint field (wire type 0). */
const int = (field: number, value: number | bigint): Buffer => Buffer.from([...tag(field, 0), ...varint(value)]);

/** A length-delimited field (wire type 2): bytes, a string or an embedded message. */
function bytes(field: number, value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from([...tag(field, 2), ...varint(body.length)]), body]);
}

const message = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));

/** TensorProto with float raw_data (little endian, as ONNX requires). */
function floatTensor(name: string, dims: readonly number[], values: readonly number[]): Buffer {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return Buffer.concat([...dims.map((d) => int(1, d)), int(2, FLOAT), bytes(8, name), bytes(9, raw)]);
}

/** ValueInfoProto of a float tensor; a dimension of -1 is symbolic ("batch"). */
function floatValueInfo(name: string, dims: readonly number[]): Buffer {
  const shape = Buffer.concat(dims.map((d) => message(1, d < 0 ? bytes(2, 'batch') : int(1, d))));
  const tensorType = Buffer.concat([int(1, FLOAT), message(2, shape)]);
  return Buffer.concat([bytes(1, name), message(2, message(1, tensorType))]);
}

function node(opType: string, inputs: readonly string[], outputs: readonly string[], name: string, attributes: Buffer[] = []): Buffer {
  return Buffer.concat([...inputs.map((i) => bytes(1, i)), ...outputs.map((o) => bytes(2, o)), bytes(3, name), bytes(4, opType), ...attributes.map((a) => message(5, a))]);
}

/** AttributeProto of type INT (2): name (1), i (3), type (20). */
const intAttribute = (name: string, value: number) => Buffer.concat([bytes(1, name), int(3, value), int(20, 2)]);

function model(graph: Buffer): Uint8Array {
  const opset = Buffer.concat([bytes(1, ''), int(2, OPSET)]);
  return new Uint8Array(Buffer.concat([int(1, IR_VERSION), bytes(2, 'registry-onnx-writer'), message(7, graph), message(8, opset)]));
}

export interface LinearModelSpec {
  /** W as rows of the input dimension: weights[i][j] multiplies feature i into output j. */
  weights: readonly (readonly number[])[];
  /** One per output. */
  bias: readonly number[];
  /**
   * Input names: one (default `input`, shape [-1, n]) or one per feature (each [-1, 1], joined
   * by a Concat on axis 1 before the MatMul).
   */
  inputs?: readonly string[];
  /** Output name (default `output`, shape [-1, m]). */
  output?: string;
}

/**
 * An ONNX model computing y = X·W + b in float32 (MatMul + Add; opset 13), as the bytes of a
 * `model.onnx`. The outputs are exact for small integers in weights, bias and inputs.
 */
export function linearModel(spec: LinearModelSpec): Uint8Array {
  const n = spec.weights.length;
  const m = spec.bias.length;
  if (n === 0 || spec.weights.some((row) => row.length !== m)) throw new Error('linearModel: weights must be n rows of bias.length values');
  const inputs = spec.inputs ?? ['input'];
  if (inputs.length !== 1 && inputs.length !== n) throw new Error('linearModel: give one input name, or one per feature');
  const output = spec.output ?? 'output';
  const nodes: Buffer[] = [];
  let x = inputs[0]!;
  if (inputs.length > 1) {
    x = '__features';
    nodes.push(node('Concat', inputs, [x], 'concat', [intAttribute('axis', 1)]));
  }
  nodes.push(node('MatMul', [x, WEIGHTS], ['__xw'], 'matmul'), node('Add', ['__xw', BIAS], [output], 'add'));
  const graph = Buffer.concat([
    ...nodes.map((nd) => message(1, nd)),
    bytes(2, 'linear'),
    message(5, floatTensor(WEIGHTS, [n, m], spec.weights.flat())),
    message(5, floatTensor(BIAS, [m], spec.bias)),
    ...inputs.map((name) => message(11, floatValueInfo(name, [-1, inputs.length > 1 ? 1 : n]))),
    message(12, floatValueInfo(output, [-1, m])),
  ]);
  return model(graph);
}

/**
 * A deliberately slow model for tests of timeouts and overload: X [-1, width] multiplied
 * `repeats` times by one width×width matrix of 1/width (so the values stay bounded). Costs about
 * rows × width² × repeats × 2 floating-point operations; the file stays small (one matrix).
 */
export function slowModel(width: number, repeats: number): Uint8Array {
  const nodes: Buffer[] = [];
  let x = 'input';
  for (let i = 0; i < repeats; i++) {
    const y = i === repeats - 1 ? 'output' : `__h${i}`;
    nodes.push(message(1, node('MatMul', [x, WEIGHTS], [y], `matmul${i}`)));
    x = y;
  }
  const graph = Buffer.concat([
    ...nodes,
    bytes(2, 'slow'),
    message(5, floatTensor(WEIGHTS, [width, width], new Array<number>(width * width).fill(1 / width))),
    message(11, floatValueInfo('input', [-1, width])),
    message(12, floatValueInfo('output', [-1, width])),
  ]);
  return model(graph);
}
