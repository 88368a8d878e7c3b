import { linearModel, type LinearModelSpec } from '../../src/lib/onnx/linear-model';
import { type ColSpecJson, onnxMLmodel, type TensorSpecJson } from '../../src/lib/onnx/mlmodel-file';
import type { TestApp } from '../helpers/test-app';
import { bearer, tokenFor } from '../helpers/tokens';
import { API, createRun } from './registry-fixtures';

export const SERVING = '/api/2.0/serving/models';

/** y = a + 2b + 3c + bias, from a table (a, b, c) or a tensor [-1, 3]. */
export const abc = (bias: number): LinearModelSpec => ({ weights: [[1], [2], [3]], bias: [bias] });
export const ABC_COLUMNS: ColSpecJson[] = [
  { type: 'double', name: 'a' },
  { type: 'double', name: 'b' },
  { type: 'double', name: 'c' },
];
export const ABC_TENSOR: TensorSpecJson[] = [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } }];

export interface VersionFiles {
  /** model.onnx's bytes (none: no model file). */
  onnx?: Uint8Array;
  /** MLmodel's text (none: a bare model.onnx). */
  mlmodel?: string;
}

/** An ONNX linear model with an MLmodel of the onnx flavor and the given signature inputs. */
export function onnxVersion(spec: LinearModelSpec, inputs?: ColSpecJson[] | TensorSpecJson[]): VersionFiles {
  return { onnx: linearModel(spec), mlmodel: onnxMLmodel({ inputs }) };
}

/**
 * Registers a version through the public API as an MLflow client does: logs the files to a new
 * run's artifacts under `model/` and creates the version from `runs:/<run_id>/model`.
 */
export async function registerVersion(t: TestApp, name: string, files: VersionFiles, user = 'alice'): Promise<string> {
  const run = await createRun(t, user);
  const root = run.artifactUri.replace('mlflow-artifacts:/', '');
  const put = (path: string, body: Buffer) =>
    t.http
      .put(`/api/2.0/mlflow-artifacts/artifacts/${root}/model/${path}`)
      .set(bearer(tokenFor(user)))
      .set('Content-Type', 'application/octet-stream')
      .send(body)
      .expect(200);
  if (files.onnx) await put('model.onnx', Buffer.from(files.onnx));
  if (files.mlmodel !== undefined) await put('MLmodel', Buffer.from(files.mlmodel));
  const res = await t
    .as(user)
    .post(`${API}/model-versions/create`, { name, source: `runs:/${run.runId}/model`, run_id: run.runId })
    .expect(200);
  return res.body.model_version.version as string;
}

/** POST …/invocations as `user` with a JSON body (or a string body and its content type). */
export function invoke(t: TestApp, name: string, selector: string, body: unknown, options: { user?: string; contentType?: string } = {}) {
  const req = t.http
    .post(`${SERVING}/${encodeURIComponent(name)}/${encodeURIComponent(selector)}/invocations`)
    .set(bearer(tokenFor(options.user ?? 'alice')))
    .set('Content-Type', options.contentType ?? 'application/json');
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}
