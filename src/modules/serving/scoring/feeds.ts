import { RegistryError } from '../../../errors';
import type { ColumnSpec, ColumnType, Signature, TensorSpec } from './mlmodel';
import type { ScoringInput } from './scoring-input';

/** An input or output of the ONNX model as the runtime describes it; a string dimension is symbolic (free). */
export interface TensorInfo {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

/** One tensor handed to (or returned by) the runtime. */
export interface Tensor {
  type: string;
  dims: number[];
  data: TensorData;
}

const badRequest = (message: string) => new RegistryError('BAD_REQUEST', message);

/** Element types this server converts JSON values to; others are refused when the model is loaded. */
export const SUPPORTED_TYPES = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'] as const;

const shapeText = (dims: ReadonlyArray<number | string>) => `(${dims.map((d) => (typeof d === 'string' ? -1 : d)).join(', ')}${dims.length === 1 ? ',' : ''})`;

const jsonType = (v: unknown) => (v === null || v === undefined ? 'a missing value' : Array.isArray(v) ? 'a list' : typeof v === 'number' && !Number.isInteger(v) ? 'a float' : typeof v);

/** Converts flat values to the ONNX element type, or throws naming `what` (a column or tensor). */
function typed(type: string, values: readonly unknown[], what: string): TensorData {
  const refuse = (v: unknown) => badRequest(`Incompatible input types for ${what}. Can not safely convert ${jsonType(v)} to ${type}.`);
  switch (type) {
    case 'float32':
    case 'float64': {
      const out = type === 'float32' ? new Float32Array(values.length) : new Float64Array(values.length);
      values.forEach((v, i) => {
        if (typeof v !== 'number') throw refuse(v);
        out[i] = v;
      });
      return out;
    }
    case 'int32':
    case 'int64': {
      const out = type === 'int32' ? new Int32Array(values.length) : new BigInt64Array(values.length);
      const max = type === 'int32' ? 2 ** 31 : 2 ** 63;
      values.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v >= max || v < -max) throw refuse(v);
        if (out instanceof BigInt64Array) out[i] = BigInt(v);
        else out[i] = v;
      });
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(values.length);
      values.forEach((v, i) => {
        if (typeof v !== 'boolean') throw refuse(v);
        out[i] = v ? 1 : 0;
      });
      return out;
    }
    case 'string':
      return values.map((v) => {
        if (typeof v !== 'string') throw refuse(v);
        return v;
      });
    default:
      throw new RegistryError('INVALID_PARAMETER_VALUE', `The model's input ${what} has element type ${type}, which this server cannot feed (supported: ${SUPPORTED_TYPES.join(', ')}).`);
  }
}

/** A nested JSON array as flat values and dims; refuses ragged arrays. */
function flatten(value: unknown, what: string): { values: unknown[]; dims: number[] } {
  const dims: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw badRequest(`Input ${what} is ragged: its nested lists are not all of the same length.`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) throw badRequest(`Input ${what} is ragged: its nested lists are not all of the same length.`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  return { values, dims };
}

/** MLflow's tensor shape check (`_enforce_tensor_spec`): same rank, -1 matches any size. */
function checkShape(dims: readonly number[], expected: ReadonlyArray<number | string>, what: string): void {
  const ok = dims.length === expected.length && expected.every((e, i) => typeof e === 'string' || e === -1 || e === dims[i]);
  if (!ok) throw badRequest(`Shape of input ${shapeText(dims)} does not match expected shape ${shapeText(expected)} for ${what}.`);
}

const COLUMN_OK: Record<ColumnType, (v: unknown) => boolean> = {
  double: (v) => typeof v === 'number',
  float: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31,
  long: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
};

/** A table's columns by name, checked against a column signature (MLflow's `_enforce_schema`). */
function columnsOf(input: { columns: string[] | undefined; rows: unknown[][] }, specs: readonly ColumnSpec[] | undefined): Map<string, unknown[]> {
  const names = input.columns ?? specs?.map((s, i) => s.name ?? String(i)) ?? input.rows[0]?.map((_, i) => String(i)) ?? [];
  const columns = new Map<string, unknown[]>(names.map((name, j) => [name, input.rows.map((r) => r[j])]));
  if (!specs) return columns;
  const required = specs.filter((s) => s.required && s.name !== undefined).map((s) => s.name!);
  const missing = required.filter((n) => !columns.has(n));
  if (missing.length > 0) {
    const declared = new Set(specs.map((s) => s.name));
    const extra = names.filter((n) => !declared.has(n));
    throw badRequest(`Model is missing inputs ${JSON.stringify(missing)}.${extra.length > 0 ? ` Note that there were extra inputs: ${JSON.stringify(extra)}.` : ''}`);
  }
  const ordered = new Map<string, unknown[]>();
  for (const spec of specs) {
    const name = spec.name ?? String(specs.indexOf(spec));
    const values = columns.get(name);
    if (!values) continue; // an optional column the request left out
    values.forEach((v, row) => {
      if (v === null || v === undefined) {
        if (spec.required) throw badRequest(`Incompatible input types for column ${name}. Row ${row} has a missing value, but the signature requires the column.`);
      } else if (!COLUMN_OK[spec.type](v)) {
        throw badRequest(`Incompatible input types for column ${name}. Can not safely convert ${jsonType(v)} (row ${row}) to ${spec.type}.`);
      }
    });
    ordered.set(name, values);
  }
  return ordered;
}

/** A table as ONNX feeds, as MLflow's ONNX flavor maps a DataFrame: one input takes all columns as a matrix, several take one column each. */
function frameFeeds(columns: Map<string, unknown[]>, rows: number, inputs: readonly TensorInfo[]): Record<string, Tensor> {
  if (inputs.length === 1) {
    const input = inputs[0]!;
    const width = columns.size;
    const values = new Array<unknown>(rows * width);
    let j = 0;
    for (const [name, column] of columns) {
      column.forEach((v, i) => (values[i * width + j] = v === undefined ? null : v));
      void name;
      j++;
    }
    const dims = input.shape.length === 1 && width === 1 ? [rows] : [rows, width];
    checkShape(dims, input.shape, `the model input '${input.name}' (the table's ${width} column${width === 1 ? '' : 's'})`);
    return { [input.name]: { type: input.type, dims, data: typed(input.type, values, `the table's columns (model input '${input.name}')`) } };
  }
  const missing = inputs.map((i) => i.name).filter((n) => !columns.has(n));
  if (missing.length > 0) throw badRequest(`Model is missing inputs ${JSON.stringify(missing)}. This ONNX model takes one column per input: ${JSON.stringify(inputs.map((i) => i.name))}.`);
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    const dims = input.shape.length === 2 ? [rows, 1] : [rows];
    checkShape(dims, input.shape, `column ${input.name}`);
    feeds[input.name] = { type: input.type, dims, data: typed(input.type, columns.get(input.name)!, `column ${input.name}`) };
  }
  return feeds;
}

function tensorFeed(value: unknown, input: TensorInfo, spec: TensorSpec | undefined): Tensor {
  const what = `tensor '${input.name}'`;
  const { values, dims } = flatten(value, what);
  if (spec) checkShape(dims, spec.shape, what);
  checkShape(dims, input.shape, what);
  return { type: input.type, dims, data: typed(input.type, values, what) };
}

/** The feeds, and the number of rows when the request was read as a table (the answer is then one record per row). */
export interface Feeds {
  feeds: Record<string, Tensor>;
  rows: number | undefined;
}

/**
 * The ONNX feeds for a scoring request: by the MLmodel signature when there is one (names, types,
 * shapes checked, with MLflow's messages), else by the ONNX model's own input names and shapes.
 */
export function toFeeds(input: ScoringInput, signature: Signature | undefined, inputs: readonly TensorInfo[]): Feeds {
  const colSpecs = signature?.kind === 'columns' ? signature.inputs : undefined;
  const tensorSpecs = signature?.kind === 'tensors' ? signature.inputs : undefined;
  if (input.kind === 'frame' || (colSpecs && input.kind === 'named')) {
    const frame =
      input.kind === 'frame'
        ? input
        : (() => {
            const names = Object.keys(input.tensors);
            const cols = names.map((n) => {
              const v = input.tensors[n];
              return Array.isArray(v) ? (v as unknown[]) : [v];
            });
            const rows = cols[0]?.length ?? 0;
            if (cols.some((c) => c.length !== rows)) throw badRequest('The named inputs have different lengths; as table columns they must have one value per row.');
            return { columns: names, rows: Array.from({ length: rows }, (_, i) => cols.map((c) => c[i])) };
          })();
    return { feeds: frameFeeds(columnsOf(frame, colSpecs), frame.rows.length, inputs), rows: frame.rows.length };
  }
  if (input.kind === 'tensor') {
    if (colSpecs) {
      const rows = input.value.map((r): unknown[] => (Array.isArray(r) ? (r as unknown[]) : [r]));
      return { feeds: frameFeeds(columnsOf({ columns: undefined, rows }, colSpecs), rows.length, inputs), rows: rows.length };
    }
    if (inputs.length !== 1) {
      throw badRequest(
        `Unable to map an unnamed tensor to the model's inputs: this model requires ${inputs.length} inputs. Pass named tensors ({"inputs": {name: value}}) or a table with the columns ${JSON.stringify(inputs.map((i) => i.name))}.`,
      );
    }
    const only = inputs[0]!;
    return { feeds: { [only.name]: tensorFeed(input.value, only, tensorSpecs?.[0]) }, rows: undefined };
  }
  const missing = inputs.map((i) => i.name).filter((n) => !(n in input.tensors));
  if (missing.length > 0) {
    const extra = Object.keys(input.tensors).filter((n) => !inputs.some((i) => i.name === n));
    throw badRequest(`Model is missing inputs ${JSON.stringify(missing)}.${extra.length > 0 ? ` Note that there were extra inputs: ${JSON.stringify(extra)}.` : ''}`);
  }
  const feeds: Record<string, Tensor> = {};
  for (const info of inputs)
    feeds[info.name] = tensorFeed(input.tensors[info.name], info, tensorSpecs?.find((s) => s.name === info.name) ?? (inputs.length === 1 ? tensorSpecs?.[0] : undefined));
  return { feeds, rows: undefined };
}

function jsonValues(t: Tensor): unknown[] {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.type === 'bool') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  return Array.from(t.data as ArrayLike<unknown>);
}

function nest(values: unknown[], dims: readonly number[]): unknown {
  if (dims.length <= 1) return values;
  const size = dims.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: dims[0]! }, (_, i) => nest(values.slice(i * size, (i + 1) * size), dims.slice(1)));
}

/**
 * `predictions` as MLflow's ONNX flavor returns them: for a table (`rows` given), one record per row
 * (`{output: value}`; a row's several values as a list); for tensors, `{output: nested list}`.
 */
export function toPredictions(outputs: Record<string, Tensor>, rows: number | undefined): unknown {
  const names = Object.keys(outputs);
  if (rows !== undefined && names.every((n) => outputs[n]!.dims[0] === rows)) {
    const perRow = names.map((n) => {
      const t = outputs[n]!;
      const values = jsonValues(t);
      const width = rows === 0 ? 0 : values.length / rows;
      return Array.from({ length: rows }, (_, i) => (width === 1 ? values[i] : nest(values.slice(i * width, (i + 1) * width), t.dims.slice(1))));
    });
    return Array.from({ length: rows }, (_, i) => Object.fromEntries(names.map((n, k) => [n, perRow[k]![i]])));
  }
  return Object.fromEntries(names.map((n) => [n, nest(jsonValues(outputs[n]!), outputs[n]!.dims)]));
}
