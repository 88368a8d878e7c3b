import { stringify } from 'yaml';

/** One column of an MLflow column-based signature (`mlflow.types.ColSpec`). */
export interface ColSpecJson {
  type: 'double' | 'float' | 'integer' | 'long' | 'boolean' | 'string';
  name?: string;
  required?: boolean;
}

/** One tensor of an MLflow tensor-based signature (`mlflow.types.TensorSpec`); -1 is a free dimension. */
export interface TensorSpecJson {
  type: 'tensor';
  'tensor-spec': { dtype: string; shape: number[] };
  name?: string;
}

export interface OnnxMLmodelSpec {
  /** The ONNX file beside the MLmodel (default `model.onnx`). */
  modelFile?: string;
  inputs?: ReadonlyArray<ColSpecJson> | ReadonlyArray<TensorSpecJson>;
  outputs?: ReadonlyArray<ColSpecJson> | ReadonlyArray<TensorSpecJson>;
  runId?: string;
}

/**
 * The text of an `MLmodel` file as `mlflow.onnx.log_model` writes it: the `onnx` and
 * `python_function` flavors, and the signature's inputs and outputs as JSON strings inside the YAML
 * (MLflow's `ModelSignature.to_dict`).
 */
export function onnxMLmodel(spec: OnnxMLmodelSpec = {}): string {
  const data = spec.modelFile ?? 'model.onnx';
  const doc: Record<string, unknown> = {
    artifact_path: 'model',
    flavors: {
      onnx: { code: null, data, onnx_version: '1.14.0', providers: ['CPUExecutionProvider'] },
      python_function: { data, env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }, loader_module: 'mlflow.onnx', python_version: '3.11.4' },
    },
    mlflow_version: '2.12.2',
    model_uuid: '00000000000000000000000000000000',
    ...(spec.runId ? { run_id: spec.runId } : {}),
    utc_time_created: '2026-12-02 00:00:00.000000',
  };
  if (spec.inputs || spec.outputs) {
    doc.signature = {
      inputs: spec.inputs ? JSON.stringify(spec.inputs) : null,
      outputs: spec.outputs ? JSON.stringify(spec.outputs) : null,
      params: null,
    };
  }
  return stringify(doc);
}
