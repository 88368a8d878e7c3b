import { parse } from 'yaml';
import { RegistryError } from '../../../errors';

/** A column of a column-based signature (MLflow's ColSpec). */
export interface ColumnSpec {
  kind: 'column';
  name: string | undefined;
  type: ColumnType;
  required: boolean;
}

export type ColumnType = 'double' | 'float' | 'integer' | 'long' | 'boolean' | 'string';
const COLUMN_TYPES: readonly string[] = ['double', 'float', 'integer', 'long', 'boolean', 'string'];

/** A tensor of a tensor-based signature (MLflow's TensorSpec); -1 marks a free dimension. */
export interface TensorSpec {
  kind: 'tensor';
  name: string | undefined;
  dtype: string;
  shape: number[];
}

export type Signature = { kind: 'columns'; inputs: ColumnSpec[] } | { kind: 'tensors'; inputs: TensorSpec[] };

/** What an MLmodel says about serving: its flavors, the ONNX file if any, the input signature. */
export interface MLmodelInfo {
  flavors: string[];
  /** The `onnx` flavor's `data`: the model file, relative to the MLmodel's directory. */
  onnxFile: string | undefined;
  signature: Signature | undefined;
}

/** Flavors this server can run; the 400 for any other names them. */
export const SERVABLE_FLAVORS = ['onnx'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(message: string): RegistryError {
  return new RegistryError('INVALID_PARAMETER_VALUE', `Invalid MLmodel file: ${message}`);
}

/**
 * The signature's inputs as MLflow writes them (`ModelSignature.to_dict`): a JSON string inside the
 * YAML, a list of `{"type", "name"?, "required"?}` columns or `{"type": "tensor", "tensor-spec":
 * {"dtype", "shape"}}` tensors. Column types MLflow has that ONNX cannot take (binary, datetime,
 * arrays, objects) are refused.
 */
export function parseSignatureInputs(json: unknown): Signature | undefined {
  if (json === null || json === undefined) return undefined;
  let list: unknown = json;
  if (typeof json === 'string') {
    try {
      list = JSON.parse(json);
    } catch {
      throw bad('signature.inputs is not JSON.');
    }
  }
  if (!Array.isArray(list) || list.length === 0) throw bad('signature.inputs must be a non-empty list.');
  const specs = list.map((s: unknown, i) => {
    if (!isRecord(s)) throw bad(`signature input ${i} is not an object.`);
    const name = typeof s.name === 'string' ? s.name : undefined;
    if (s.type === 'tensor') {
      const t = s['tensor-spec'];
      if (!isRecord(t) || typeof t.dtype !== 'string' || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && (d as number) >= -1)) {
        throw bad(`signature input ${name ?? i} has no valid tensor-spec {dtype, shape}.`);
      }
      return { kind: 'tensor', name, dtype: t.dtype, shape: t.shape as number[] } satisfies TensorSpec;
    }
    if (typeof s.type !== 'string' || !COLUMN_TYPES.includes(s.type)) {
      throw bad(`signature input ${name ?? i} has type ${JSON.stringify(s.type)}; servable column types are ${COLUMN_TYPES.join(', ')}.`);
    }
    return { kind: 'column', name, type: s.type as ColumnType, required: s.required !== false } satisfies ColumnSpec;
  });
  const tensors = specs.filter((s): s is TensorSpec => s.kind === 'tensor');
  if (tensors.length === specs.length) return { kind: 'tensors', inputs: tensors };
  if (tensors.length > 0) throw bad('signature.inputs mixes tensors and columns.');
  return { kind: 'columns', inputs: specs as ColumnSpec[] };
}

/** Parses an `MLmodel` file (YAML). Throws a 400 RegistryError on a file that is not one. */
export function parseMLmodel(text: string): MLmodelInfo {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw bad(`not YAML (${(err as Error).message.split('\n')[0]}).`);
  }
  if (!isRecord(doc)) throw bad('not a YAML mapping.');
  const flavors = isRecord(doc.flavors) ? doc.flavors : {};
  const onnx = flavors.onnx;
  const onnxFile = isRecord(onnx) && typeof onnx.data === 'string' ? onnx.data : undefined;
  const signature = isRecord(doc.signature) ? parseSignatureInputs(doc.signature.inputs) : undefined;
  return { flavors: Object.keys(flavors), onnxFile, signature };
}

/** The ONNX file an MLmodel serves, or a 400 naming its flavors and the servable ones. */
export function servableOnnxFile(info: MLmodelInfo): string {
  if (info.onnxFile !== undefined) {
    const parts = info.onnxFile.split('/');
    if (info.onnxFile.startsWith('/') || parts.some((p) => p === '..' || p === '' || p === '.')) throw bad(`the onnx flavor's data '${info.onnxFile}' is not a relative path.`);
    return info.onnxFile;
  }
  const has = info.flavors.length > 0 ? `has flavors ${info.flavors.map((f) => `'${f}'`).join(', ')}` : 'has no flavors';
  throw new RegistryError('INVALID_PARAMETER_VALUE', `This model cannot be served here: its MLmodel ${has}; servable flavors: ${SERVABLE_FLAVORS.join(', ')} (or a bare model.onnx).`);
}
