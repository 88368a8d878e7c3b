import type { Level } from './permission-levels';

/**
 * The level each endpoint needs, in one table (issue 5): what README "Permissions" documents and
 * what test/integration/permissions-matrix.test.ts checks against every level. The services
 * enforce these levels; the matrix test fails when a service and this table disagree.
 * `resource: 'none'` needs only a valid token.
 */
export interface EndpointLevel {
  key: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  resource: 'experiment' | 'registered_model' | 'none';
  level: Level;
  note?: string;
}

const on =
  (resource: EndpointLevel['resource']) =>
  (key: string, method: EndpointLevel['method'], path: string, level: Level, note?: string): EndpointLevel => ({
    key,
    method,
    path,
    resource,
    level,
    ...(note ? { note } : {}),
  });
const exp = on('experiment');
const model = on('registered_model');

const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';
const R = '/api/2.0/registry';

export const ENDPOINT_LEVELS: readonly EndpointLevel[] = [
  { key: 'experiments.create', method: 'POST', path: `${M}/experiments/create`, resource: 'none', level: 'NO_PERMISSIONS', note: 'creator gets MANAGE' },
  { key: 'registered-models.create', method: 'POST', path: `${M}/registered-models/create`, resource: 'none', level: 'NO_PERMISSIONS', note: 'creator gets MANAGE' },

  exp('experiments.get', 'GET', `${M}/experiments/get`, 'READ'),
  exp('experiments.get-by-name', 'GET', `${M}/experiments/get-by-name`, 'READ'),
  exp('experiments.update', 'POST', `${M}/experiments/update`, 'EDIT'),
  exp('experiments.set-experiment-tag', 'POST', `${M}/experiments/set-experiment-tag`, 'EDIT'),
  exp('experiments.delete-experiment-tag', 'POST', `${M}/experiments/delete-experiment-tag`, 'EDIT'),
  exp('experiments.delete', 'POST', `${M}/experiments/delete`, 'MANAGE'),
  exp('experiments.restore', 'POST', `${M}/experiments/restore`, 'MANAGE'),
  exp('runs.create', 'POST', `${M}/runs/create`, 'EDIT'),
  exp('runs.get', 'GET', `${M}/runs/get`, 'READ'),
  exp('runs.update', 'POST', `${M}/runs/update`, 'EDIT'),
  exp('runs.log-metric', 'POST', `${M}/runs/log-metric`, 'EDIT'),
  exp('runs.log-parameter', 'POST', `${M}/runs/log-parameter`, 'EDIT'),
  exp('runs.log-batch', 'POST', `${M}/runs/log-batch`, 'EDIT'),
  exp('runs.set-tag', 'POST', `${M}/runs/set-tag`, 'EDIT'),
  exp('runs.log-inputs', 'POST', `${M}/runs/log-inputs`, 'EDIT'),
  exp('runs.outputs', 'POST', `${M}/runs/outputs`, 'EDIT'),
  exp('runs.delete', 'POST', `${M}/runs/delete`, 'MANAGE'),
  exp('runs.restore', 'POST', `${M}/runs/restore`, 'MANAGE'),
  exp('metrics.get-history', 'GET', `${M}/metrics/get-history`, 'READ'),
  exp('artifacts.list', 'GET', `${M}/artifacts/list`, 'READ'),
  exp('mlflow-artifacts.get', 'GET', `${A}/<experiment>/<run>/artifacts/<path>`, 'READ'),
  exp('mlflow-artifacts.list', 'GET', `${A}?path=<experiment>/<run>/artifacts`, 'READ'),
  exp('mlflow-artifacts.put', 'PUT', `${A}/<experiment>/<run>/artifacts/<path>`, 'EDIT'),
  exp('mlflow-artifacts.delete', 'DELETE', `${A}/<experiment>/<run>/artifacts/<path>`, 'MANAGE'),
  exp('logged-models.create', 'POST', `${M}/logged-models`, 'EDIT'),
  exp('logged-models.get', 'GET', `${M}/logged-models/<model_id>`, 'READ'),
  exp('experiments.permissions.list', 'GET', `${M}/experiments/permissions/list`, 'MANAGE'),
  exp('experiments.permissions.create', 'POST', `${M}/experiments/permissions/create`, 'MANAGE'),
  exp('registry.audit.experiment', 'GET', `${R}/audit?experiment_id=`, 'READ'),

  model('registered-models.get', 'GET', `${M}/registered-models/get`, 'USE'),
  model('registered-models.get-latest-versions', 'POST', `${M}/registered-models/get-latest-versions`, 'USE', 'USE sees Production versions only'),
  model('registered-models.update', 'PATCH', `${M}/registered-models/update`, 'EDIT'),
  model('registered-models.set-tag', 'POST', `${M}/registered-models/set-tag`, 'EDIT'),
  model('registered-models.alias.set', 'POST', `${M}/registered-models/alias`, 'MANAGE_STAGING', 'ordinary aliases'),
  model('registered-models.alias.set-protected', 'POST', `${M}/registered-models/alias`, 'MANAGE_PRODUCTION', 'PROTECTED_ALIASES'),
  model('registered-models.rename', 'POST', `${M}/registered-models/rename`, 'MANAGE'),
  model('registered-models.delete', 'DELETE', `${M}/registered-models/delete`, 'MANAGE'),
  model('model-versions.create', 'POST', `${M}/model-versions/create`, 'EDIT'),
  model('model-versions.get.production', 'GET', `${M}/model-versions/get`, 'USE', 'a version in Production'),
  model('model-versions.get.none', 'GET', `${M}/model-versions/get`, 'READ', 'a version in None or Staging'),
  model('model-versions.get-download-uri', 'GET', `${M}/model-versions/get-download-uri`, 'USE', 'a version in Production'),
  model('model-versions.update', 'PATCH', `${M}/model-versions/update`, 'EDIT'),
  model('model-versions.transition-stage.staging', 'POST', `${M}/model-versions/transition-stage`, 'MANAGE_STAGING', 'None → Staging'),
  model('model-versions.transition-stage.production', 'POST', `${M}/model-versions/transition-stage`, 'MANAGE_PRODUCTION', 'Staging → Production'),
  model('model-versions.delete', 'DELETE', `${M}/model-versions/delete`, 'MANAGE'),
  model('registered-models.permissions.list', 'GET', `${M}/registered-models/permissions/list`, 'MANAGE'),
  model('registry.audit.model', 'GET', `${R}/audit?name=`, 'READ'),
  model('registry.archive.production', 'GET', `${R}/models/<name>/Production/archive`, 'USE'),
];
