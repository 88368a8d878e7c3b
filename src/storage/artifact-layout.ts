/**
 * The store's layout (artifact-store.ts): which resource owns a key. Keys are already checked by
 * artifactKey(), so a prefix match here cannot be fooled by '..' or doubled slashes.
 *
 * - `<experiment_id>/<run_id>/artifacts[/...]`: one run's artifacts
 * - `<experiment_id>/models/<model_id>/artifacts[/...]`: one MLflow 3 logged model's artifacts
 * - `registry/<registered_model_id>/uploads/<upload_id>[/...]`: one upload of a registered model's files
 *
 * Anything else (the root, a bare experiment or model prefix, unknown names) belongs to no single
 * resource, so a model version may never point at it.
 */
export type KeyOwner =
  { kind: 'run'; experimentId: string; runId: string } | { kind: 'logged-model'; experimentId: string; modelId: string } | { kind: 'model-upload'; registeredModelId: string };

const RUN = /^(0|[1-9]\d{0,17})\/([0-9a-f]{32})\/artifacts(?:\/|$)/;
const LOGGED_MODEL = /^(0|[1-9]\d{0,17})\/models\/(m-[0-9a-f]{32})\/artifacts(?:\/|$)/;
const MODEL_UPLOAD = /^registry\/([1-9]\d{0,17})\/uploads\/[^/]+(?:\/|$)/;

export function ownerOfKey(key: string): KeyOwner | undefined {
  let m = RUN.exec(key);
  if (m) return { kind: 'run', experimentId: m[1]!, runId: m[2]! };
  m = LOGGED_MODEL.exec(key);
  if (m) return { kind: 'logged-model', experimentId: m[1]!, modelId: m[2]! };
  m = MODEL_UPLOAD.exec(key);
  if (m) return { kind: 'model-upload', registeredModelId: m[1]! };
  return undefined;
}

/** Where a model version's files may be: inside one run, one logged model or one upload. */
export const WHERE_VERSIONS_LIVE =
  "inside one run's artifacts (mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>), one logged model's " +
  "artifacts (mlflow-artifacts:/<experiment_id>/models/<model_id>/artifacts/<path>) or the registered model's own uploads";
