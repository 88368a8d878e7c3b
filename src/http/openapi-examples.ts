/**
 * One example request per row of the route table, keyed by the row's key, and the status it gets.
 * The OpenAPI document (openapi.ts) shows each one on its operation, with the ids of EXAMPLE_VALUES;
 * test/integration/openapi-examples.test.ts sends each one, with the ids of resources it made, and
 * expects the status written here. A row without an example fails that test.
 *
 * `{{name}}` marks an id that differs from server to server; `needs` names what must exist
 * beyond the usual resources (NEEDS says what each is).
 */

/** The ids an example may name. */
export type Placeholder = 'experiment_id' | 'experiment_name' | 'run_id' | 'logged_model_id' | 'model_name' | 'webhook_id' | 'delivery_id' | 'comment_id' | 'upload_id' | 'part_etag';

/** What the document shows in place of each id. */
export const EXAMPLE_VALUES: Record<Placeholder, string> = {
  experiment_id: '17',
  experiment_name: 'fraud-detection',
  run_id: '5b9e2c1d7a3f4e6b8c0d1e2f3a4b5c6d',
  logged_model_id: 'm-3f1c9a7e2b5d4c8e9f0a1b2c3d4e5f60',
  model_name: 'fraud-detector',
  webhook_id: '0b6f3c9e-2d4a-4e8b-9c1f-7a5d3e2b1c0a',
  delivery_id: '7e1d2c3b-4a5f-4b6e-8d9c-0a1b2c3d4e5f',
  comment_id: '42',
  upload_id: 'ZXhhbXBsZS11cGxvYWQtaWQ',
  part_etag: '"9b2cf535f27731c974343645a3985328"',
};

/**
 * What every example may assume: experiment `{{experiment_name}}` with tag team and a run that logged param lr,
 * metric rmse (steps 0–2) and tag team, and holds files model/MLmodel and model/model.onnx (an
 * ONNX model y = 2x + 1 with one input column x) and notes.txt; a logged model in the experiment;
 * registered model `{{model_name}}` with tag team, version 1 (stage None) and version 2
 * (Production, alias champion), both from runs:/{{run_id}}/model. Beyond that, an example's needs:
 */
export const NEEDS = {
  'deleted-run': 'the run is deleted',
  'deleted-experiment': 'the experiment is deleted',
  'transition-request': 'user alice has asked for version 1 to move to Staging',
  'alias-request': 'user alice has asked for alias champion to point to version 1',
  grants: 'group data-science has EDIT on the experiment, group ml-ops MANAGE_STAGING on the model',
  comment: 'a comment {{comment_id}} on version 1',
  webhook: 'a webhook {{webhook_id}} on the model',
  delivery: 'a delivery {{delivery_id}} of that webhook',
  'multipart-upload': 'a multipart upload {{upload_id}} of model/weights.bin started, its part 1 sent ({{part_etag}})',
} as const;
export type Need = keyof typeof NEEDS;

export interface RouteExample {
  summary: string;
  /** Path parameters (Express names). */
  params?: Record<string, string>;
  query?: Record<string, string | readonly string[]>;
  /** A JSON body. */
  body?: unknown;
  /** A body of bytes (an artifact's content). */
  bytes?: { type: string; text: string };
  /** A multipart/form-data body: one `file` part per entry, named by its path. */
  files?: ReadonlyArray<{ name: string; text: string }>;
  /** The answer's status; 200 when absent. */
  status?: number;
  /** Which of the row's paths, when it has several; the first when absent. */
  path?: number;
  needs?: readonly Need[];
}

const MLMODEL = 'artifact_path: model\nflavors:\n  onnx:\n    onnx_version: 1.17.0\n    data: model.onnx\n';

export const EXAMPLES: Record<string, RouteExample> = {
  // Runs and metrics
  'runs.create': {
    summary: 'Starts a run in the experiment.',
    body: { experiment_id: '{{experiment_id}}', run_name: 'xgboost-depth-6', start_time: 1764633600000, tags: [{ key: 'mlflow.user', value: 'alice' }] },
  },
  'runs.get': { summary: "Reads a run's info and data.", query: { run_id: '{{run_id}}' } },
  'runs.update': { summary: 'Ends the run.', body: { run_id: '{{run_id}}', status: 'FINISHED', end_time: 1764637200000 } },
  'runs.delete': { summary: 'Deletes the run (it can be restored until garbage collection).', body: { run_id: '{{run_id}}' } },
  'runs.restore': { summary: 'Restores a deleted run.', body: { run_id: '{{run_id}}' }, needs: ['deleted-run'] },
  'runs.log-metric': { summary: 'Logs one point of a metric.', body: { run_id: '{{run_id}}', key: 'rmse', value: 0.231, timestamp: 1764633700000, step: 3 } },
  'runs.log-parameter': { summary: 'Logs a parameter.', body: { run_id: '{{run_id}}', key: 'max_depth', value: '6' } },
  'runs.set-tag': { summary: 'Sets a tag on the run.', body: { run_id: '{{run_id}}', key: 'mlflow.note.content', value: 'Best so far.' } },
  'runs.delete-tag': { summary: 'Removes a tag from the run.', body: { run_id: '{{run_id}}', key: 'team' } },
  'runs.log-batch': {
    summary: 'Logs metrics, params and tags in one request.',
    body: {
      run_id: '{{run_id}}',
      metrics: [
        { key: 'rmse', value: 0.228, timestamp: 1764633800000, step: 4 },
        { key: 'auc', value: 0.94, timestamp: 1764633800000, step: 4 },
      ],
      params: [{ key: 'n_estimators', value: '300' }],
      tags: [{ key: 'stage', value: 'tuning' }],
    },
  },
  'runs.log-model': {
    summary: "Records a logged model's MLmodel in the run's mlflow.log-model.history tag (MLflow 2 clients).",
    body: { run_id: '{{run_id}}', model_json: '{"artifact_path": "model", "flavors": {"onnx": {}}, "run_id": "{{run_id}}", "utc_time_created": "2026-12-01 12:00:00.000000"}' },
  },
  'runs.log-inputs': {
    summary: 'Records the dataset the run trained on.',
    body: {
      run_id: '{{run_id}}',
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: 'transactions-2026-11', digest: 'a1b2c3d4', source_type: 's3', source: '{"uri": "s3://data/transactions/2026-11"}' },
        },
      ],
    },
  },
  'runs.outputs': { summary: 'Records a logged model as an output of the run.', body: { run_id: '{{run_id}}', models: [{ model_id: '{{logged_model_id}}', step: 3 }] } },
  'runs.search': {
    summary: 'Finds the runs with the best rmse below 0.5.',
    body: { experiment_ids: ['{{experiment_id}}'], filter: "metrics.rmse < 0.5 and params.lr = '0.01'", order_by: ['metrics.rmse ASC'], max_results: 25 },
  },
  'metrics.get-history': { summary: "Reads every point of the run's rmse.", query: { run_id: '{{run_id}}', metric_key: 'rmse', max_results: '1000' } },
  'metrics.get-history-bulk-interval': {
    summary: "Reads rmse of several runs, down-sampled to at most 100 steps each (the UI's charts).",
    query: { run_ids: ['{{run_id}}'], metric_key: 'rmse', max_results: '100' },
  },

  // Experiments
  'experiments.create': { summary: 'Creates an experiment; its creator gets MANAGE on it.', body: { name: '{{experiment_name}}-v2', tags: [{ key: 'team', value: 'risk' }] } },
  'experiments.get': { summary: 'Reads an experiment.', query: { experiment_id: '{{experiment_id}}' } },
  'experiments.get-by-name': { summary: 'Reads an experiment by its name.', query: { experiment_name: '{{experiment_name}}' } },
  'experiments.search': {
    summary: 'Lists the active experiments whose name starts with fraud.',
    body: { filter: "name LIKE 'fraud%'", order_by: ['last_update_time DESC'], max_results: 50 },
  },
  'experiments.search.get': { summary: 'The same search as a GET.', query: { filter: "name LIKE 'fraud%'", max_results: '50' } },
  'experiments.update': { summary: 'Renames an experiment.', body: { experiment_id: '{{experiment_id}}', new_name: '{{experiment_name}}-2026' } },
  'experiments.delete': { summary: 'Deletes an experiment and its runs (restorable until garbage collection).', body: { experiment_id: '{{experiment_id}}' } },
  'experiments.restore': { summary: 'Restores a deleted experiment.', body: { experiment_id: '{{experiment_id}}' }, needs: ['deleted-experiment'] },
  'experiments.set-experiment-tag': { summary: 'Sets a tag on an experiment.', body: { experiment_id: '{{experiment_id}}', key: 'owner', value: 'risk-team' } },
  'experiments.delete-experiment-tag': { summary: 'Removes a tag from an experiment.', body: { experiment_id: '{{experiment_id}}', key: 'team' } },

  // Artifacts
  'artifacts.list': { summary: "Lists the files of the run's model folder.", query: { run_id: '{{run_id}}', path: 'model' } },
  'mlflow-artifacts.list': { summary: 'Lists a folder through the artifact proxy.', query: { path: '{{experiment_id}}/{{run_id}}/artifacts/model' } },
  'mlflow-artifacts.get': { summary: 'Downloads a file through the artifact proxy.', params: { path: '{{experiment_id}}/{{run_id}}/artifacts/notes.txt' } },
  'mlflow-artifacts.put': {
    summary: 'Uploads a file through the artifact proxy.',
    params: { path: '{{experiment_id}}/{{run_id}}/artifacts/eval/report.txt' },
    bytes: { type: 'application/octet-stream', text: 'precision 0.91, recall 0.87\n' },
  },
  'mlflow-artifacts.delete': { summary: 'Deletes a file through the artifact proxy.', params: { path: '{{experiment_id}}/{{run_id}}/artifacts/notes.txt' } },
  'mlflow-artifacts.mpu.create': {
    summary: 'Starts a multipart upload of a large file; the answer has a presigned URL per part.',
    path: 1,
    params: { dir: '{{experiment_id}}/{{run_id}}/artifacts/model' },
    body: { path: 'weights.bin', num_parts: 2 },
  },
  'mlflow-artifacts.mpu.complete': {
    summary: 'Completes a multipart upload with the ETags of its parts.',
    path: 1,
    params: { dir: '{{experiment_id}}/{{run_id}}/artifacts/model' },
    body: { path: 'weights.bin', upload_id: '{{upload_id}}', parts: [{ part_number: 1, etag: '{{part_etag}}' }] },
    needs: ['multipart-upload'],
  },
  'mlflow-artifacts.mpu.abort': {
    summary: 'Aborts a multipart upload.',
    path: 1,
    params: { dir: '{{experiment_id}}/{{run_id}}/artifacts/model' },
    body: { path: 'weights.bin', upload_id: '{{upload_id}}' },
    needs: ['multipart-upload'],
  },
  'mlflow-artifacts.upload': {
    summary: "Uploads files into a run's artifacts as a form (curl -F file=@confusion.csv).",
    query: { run_id: '{{run_id}}', path: 'eval' },
    files: [{ name: 'confusion.csv', text: 'label,predicted,count\nfraud,fraud,87\nfraud,ok,13\n' }],
  },

  // Registered models
  'registered-models.create': { summary: 'Creates a registered model; its creator gets MANAGE on it.', body: { name: '{{model_name}}-v2', description: 'Scores card transactions.' } },
  'registered-models.get': { summary: 'Reads a registered model with its latest versions and aliases.', query: { name: '{{model_name}}' } },
  'registered-models.rename': { summary: 'Renames a registered model.', body: { name: '{{model_name}}', new_name: '{{model_name}}-eu' } },
  'registered-models.update': { summary: "Sets a registered model's description.", body: { name: '{{model_name}}', description: 'Gradient-boosted trees on 40 features.' } },
  'registered-models.delete': { summary: 'Deletes a registered model and its versions.', body: { name: '{{model_name}}' } },
  'registered-models.search': { summary: 'Finds registered models by name.', query: { filter: "name LIKE 'fraud%'", max_results: '20', order_by: 'name ASC' } },
  'registered-models.get-latest-versions': { summary: 'Reads the latest version in Production.', body: { name: '{{model_name}}', stages: ['Production'] } },
  'registered-models.get-latest-versions.get': { summary: 'The same as a GET.', query: { name: '{{model_name}}', stages: ['Production'] } },
  'registered-models.set-tag': { summary: 'Sets a tag on a registered model.', body: { name: '{{model_name}}', key: 'owner', value: 'risk-team' } },
  'registered-models.delete-tag': { summary: 'Removes a tag from a registered model.', body: { name: '{{model_name}}', key: 'team' } },
  'registered-models.alias.set': {
    summary: 'Points alias challenger to version 1 (champion is protected and needs MANAGE_PRODUCTION).',
    body: { name: '{{model_name}}', alias: 'challenger', version: '1' },
  },
  'registered-models.alias.delete': { summary: 'Removes an alias.', body: { name: '{{model_name}}', alias: 'champion' } },
  'registered-models.alias.get': { summary: 'Reads the version an alias points to.', query: { name: '{{model_name}}', alias: 'champion' } },

  // Model versions
  'model-versions.create': {
    summary: "Registers a new version from a run's model folder.",
    body: { name: '{{model_name}}', source: 'runs:/{{run_id}}/model', run_id: '{{run_id}}', description: 'Retrained on November.' },
  },
  'model-versions.get': { summary: 'Reads a version.', query: { name: '{{model_name}}', version: '2' } },
  'model-versions.update': { summary: "Sets a version's description.", body: { name: '{{model_name}}', version: '1', description: 'Candidate for Q1.' } },
  'model-versions.delete': { summary: 'Deletes a version.', body: { name: '{{model_name}}', version: '1' } },
  'model-versions.search': { summary: 'Lists the versions of a model.', query: { filter: "name = '{{model_name}}'", max_results: '100' } },
  'model-versions.transition-stage': {
    summary: 'Moves version 1 to Staging (Production and Archived need MANAGE_PRODUCTION).',
    body: { name: '{{model_name}}', version: '1', stage: 'Staging', archive_existing_versions: false },
  },
  'model-versions.get-download-uri': { summary: "Reads where a version's files are.", query: { name: '{{model_name}}', version: '2' } },
  'model-versions.set-tag': { summary: 'Sets a tag on a version.', body: { name: '{{model_name}}', version: '1', key: 'validation', value: 'passed' } },
  'model-versions.delete-tag': { summary: 'Removes a tag from a version.', body: { name: '{{model_name}}', version: '1', key: 'validation' } },
  'model-versions.get-artifact': { summary: "Downloads one file of a version's model.", query: { name: '{{model_name}}', version: '2', path: 'MLmodel' } },

  // Promotion requests, approval policy, comments, activity
  'transition-requests.create': {
    summary: 'Asks for version 1 to move to Staging.',
    body: { name: '{{model_name}}', version: '1', stage: 'Staging', comment: 'Passed offline evaluation.' },
  },
  'transition-requests.approve': {
    summary: "Approves alice's request: version 1 moves to Staging.",
    body: { name: '{{model_name}}', version: '1', stage: 'Staging', archive_existing_versions: false, comment: 'Looks good.' },
    needs: ['transition-request'],
  },
  'transition-requests.reject': {
    summary: "Rejects alice's request.",
    body: { name: '{{model_name}}', version: '1', stage: 'Staging', comment: 'Needs the November data.' },
    needs: ['transition-request'],
  },
  'transition-requests.delete': {
    summary: "Withdraws alice's request (MANAGE withdraws anyone's).",
    query: { name: '{{model_name}}', version: '1', stage: 'Staging', creator: 'alice' },
    needs: ['transition-request'],
  },
  'transition-requests.list': { summary: 'Lists the open requests of a version.', query: { name: '{{model_name}}', version: '1' }, needs: ['transition-request'] },
  'alias-requests.create': {
    summary: 'Asks for the protected alias champion to point to version 1.',
    body: { name: '{{model_name}}', version: '1', alias: 'champion', comment: 'Beats v2 by 2 points of AUC.' },
  },
  'alias-requests.approve': {
    summary: "Approves alice's alias request: champion moves to version 1.",
    body: { name: '{{model_name}}', version: '1', alias: 'champion' },
    needs: ['alias-request'],
  },
  'alias-requests.reject': {
    summary: "Rejects alice's alias request.",
    body: { name: '{{model_name}}', version: '1', alias: 'champion', comment: 'Wait for the A/B test.' },
    needs: ['alias-request'],
  },
  'alias-requests.delete': { summary: "Withdraws alice's alias request.", query: { name: '{{model_name}}', version: '1', alias: 'champion', creator: 'alice' }, needs: ['alias-request'] },
  'alias-requests.list': { summary: 'Lists the open alias requests of a version.', query: { name: '{{model_name}}', version: '1' }, needs: ['alias-request'] },
  'registry.approval-policy.get': { summary: 'Reads what needs an approved request on this model.', query: { name: '{{model_name}}' } },
  'registry.approval-policy.set': {
    summary: 'Requires approval for Production and for protected aliases on this model.',
    body: { name: '{{model_name}}', require_approval: ['Production', 'aliases'] },
  },
  'comments.create': { summary: 'Comments on a version.', body: { name: '{{model_name}}', version: '1', comment: 'Latency p99 is 12 ms on the canary.' } },
  'comments.update': { summary: "Edits one's comment.", body: { id: '{{comment_id}}', comment: 'Latency p99 is 11 ms on the canary.' }, needs: ['comment'] },
  'comments.delete': { summary: "Deletes one's comment.", query: { id: '{{comment_id}}' }, needs: ['comment'] },
  'comments.list': { summary: 'Lists the comments on a version, oldest first.', query: { name: '{{model_name}}', version: '1' }, needs: ['comment'] },
  'registry.model-versions.activity': {
    summary: "Reads a version's activity: transitions, requests, comments, newest first.",
    query: { name: '{{model_name}}', version: '2', max_results: '50' },
  },

  // Fetching and serving models
  'registry.archive': { summary: 'Downloads the Production version as a tar.gz (for serving jobs and KServe).', params: { name: '{{model_name}}', selector: 'Production' } },
  'registry.archive.zip': { summary: 'Downloads the version behind alias champion as a zip.', params: { name: '{{model_name}}', selector: '@champion' } },
  'registry.files': { summary: 'Downloads one file of the Production version.', params: { name: '{{model_name}}', selector: 'Production', path: 'MLmodel' } },
  'registry.versions.upload': {
    summary: 'Registers uploaded files as a new version (curl -F file=@MLmodel -F file=@model.onnx).',
    params: { name: '{{model_name}}' },
    query: { description: 'Uploaded from a notebook.' },
    files: [{ name: 'MLmodel', text: MLMODEL }],
  },
  'serving.invocations': {
    summary: "A prediction from the Production version's ONNX model (MLflow's scoring protocol; text/csv works too).",
    params: { name: '{{model_name}}', selector: 'Production' },
    body: { dataframe_split: { columns: ['x'], data: [[3], [4.5]] } },
  },

  // Logged models (MLflow 3)
  'logged-models.create': {
    summary: 'Creates a logged model in the experiment.',
    body: { experiment_id: '{{experiment_id}}', name: 'xgb-classifier', model_type: 'sklearn', source_run_id: '{{run_id}}' },
  },
  'logged-models.search': {
    summary: 'Finds the ready logged models of an experiment.',
    body: { experiment_ids: ['{{experiment_id}}'], filter: "status = 'LOGGED_MODEL_READY'", max_results: 50 },
  },
  'logged-models.get': { summary: 'Reads a logged model.', params: { model_id: '{{logged_model_id}}' } },
  'logged-models.finalize': { summary: "Marks a logged model's upload as done.", params: { model_id: '{{logged_model_id}}' }, body: { status: 'LOGGED_MODEL_READY' } },
  'logged-models.delete': { summary: 'Deletes a logged model.', params: { model_id: '{{logged_model_id}}' } },
  'logged-models.set-tags': { summary: 'Sets tags on a logged model.', params: { model_id: '{{logged_model_id}}' }, body: { tags: [{ key: 'framework', value: 'xgboost' }] } },
  'logged-models.delete-tag': { summary: 'Removes a tag from a logged model.', params: { model_id: '{{logged_model_id}}', tag_key: 'team' } },
  'logged-models.log-params': { summary: 'Logs params of a logged model.', params: { model_id: '{{logged_model_id}}' }, body: { params: [{ key: 'max_depth', value: '6' }] } },
  'logged-models.list-artifacts': { summary: "Lists a logged model's files.", params: { model_id: '{{logged_model_id}}' } },

  // Permissions
  'experiments.permissions.create': { summary: 'Gives user bob EDIT on the experiment.', body: { experiment_id: '{{experiment_id}}', username: 'bob', permission: 'EDIT' } },
  'experiments.permissions.get': { summary: "Reads one's own grant on the experiment (MANAGE reads anyone's).", query: { experiment_id: '{{experiment_id}}', username: 'admin' } },
  'experiments.permissions.update': {
    summary: "Changes group data-science's level.",
    body: { experiment_id: '{{experiment_id}}', group: 'data-science', permission: 'READ' },
    needs: ['grants'],
  },
  'experiments.permissions.delete': { summary: "Removes group data-science's grant.", body: { experiment_id: '{{experiment_id}}', group: 'data-science' }, needs: ['grants'] },
  'experiments.permissions.list': { summary: 'Lists the grants on the experiment.', query: { experiment_id: '{{experiment_id}}' } },
  'registered-models.permissions.create': { summary: 'Lets group ml-ops move versions to Staging.', body: { name: '{{model_name}}', group: 'ml-ops', permission: 'MANAGE_STAGING' } },
  'registered-models.permissions.get': { summary: "Reads group ml-ops's grant (MANAGE reads anyone's).", query: { name: '{{model_name}}', group: 'ml-ops' }, needs: ['grants'] },
  'registered-models.permissions.update': {
    summary: 'Lets group ml-ops promote to Production too.',
    body: { name: '{{model_name}}', group: 'ml-ops', permission: 'MANAGE_PRODUCTION' },
    needs: ['grants'],
  },
  'registered-models.permissions.delete': { summary: "Removes group ml-ops's grant.", body: { name: '{{model_name}}', group: 'ml-ops' }, needs: ['grants'] },
  'registered-models.permissions.list': { summary: 'Lists the grants on the model.', query: { name: '{{model_name}}' } },
  'permissions.effective': { summary: "The caller's own level on the model, and which operations it allows.", query: { name: '{{model_name}}' } },

  // Audit and operations
  'registry.audit': { summary: "Reads the model's audit trail, newest first.", query: { name: '{{model_name}}', max_results: '50' } },
  'registry.gc': { summary: 'Counts what garbage collection would remove (nothing is removed with dry_run).', body: { older_than: '30d', dry_run: true } },

  // Webhooks
  'webhooks.create': {
    summary: 'Calls a URL when a version of the model is created or moves stage.',
    body: {
      name: 'deploy-on-promotion',
      url: 'https://hooks.example.com/registry',
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_STAGE', action: 'TRANSITIONED' },
      ],
      secret: 'a-long-random-secret-for-signatures',
      model_name: '{{model_name}}',
    },
  },
  'webhooks.list': { summary: 'Lists the webhooks the caller manages.', query: { max_results: '50' }, needs: ['webhook'] },
  'webhooks.get': { summary: 'Reads a webhook (never its secret).', params: { webhook_id: '{{webhook_id}}' }, needs: ['webhook'] },
  'webhooks.update': { summary: 'Pauses a webhook.', params: { webhook_id: '{{webhook_id}}' }, body: { status: 'DISABLED' }, needs: ['webhook'] },
  'webhooks.delete': { summary: 'Deletes a webhook.', params: { webhook_id: '{{webhook_id}}' }, needs: ['webhook'] },
  'webhooks.test': {
    summary: 'Sends a test event now and answers what the receiver said.',
    params: { webhook_id: '{{webhook_id}}' },
    body: { event: { entity: 'MODEL_VERSION', action: 'CREATED' } },
    needs: ['webhook'],
  },
  'webhooks.deliveries.list': { summary: "Reads a webhook's delivery log, newest first.", params: { webhook_id: '{{webhook_id}}' }, query: { max_results: '20' }, needs: ['delivery'] },
  'webhooks.deliveries.redeliver': { summary: 'Sends a delivery again.', params: { webhook_id: '{{webhook_id}}', delivery_id: '{{delivery_id}}' }, needs: ['delivery'] },
};

/** The example with `{{name}}` replaced by `values` everywhere (strings, keys kept). */
export function renderExample(example: RouteExample, values: Record<Placeholder, string>): RouteExample {
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{\{(\w+)\}\}/g, (m, name: string) => (name in values ? values[name as Placeholder] : m));
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    return v;
  };
  return render(example) as RouteExample;
}
