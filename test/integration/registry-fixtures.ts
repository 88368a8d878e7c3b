import { randomBytes } from 'node:crypto';
import type { ApiClient, TestApp } from '../helpers/test-app';

export const API = '/api/2.0/mlflow';
export const AJAX = '/ajax-api/2.0/mlflow';

export const uniqueName = (prefix = 'model') => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Creates a registered model through the API (the caller becomes its MANAGE owner). */
export async function createModel(api: ApiClient, name = uniqueName(), extra: Record<string, unknown> = {}): Promise<string> {
  await api.post(`${API}/registered-models/create`, { name, ...extra }).expect(200);
  return name;
}

export async function createVersion(api: ApiClient, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post(`${API}/model-versions/create`, { name, source: 's3://bucket/models/m', ...extra }).expect(200);
  return res.body.model_version.version as string;
}

export function transition(api: ApiClient, name: string, version: string, stage: string, archive = false) {
  return api.post(`${API}/model-versions/transition-stage`, { name, version, stage, archive_existing_versions: archive });
}

export async function getVersion(api: ApiClient, name: string, version: string) {
  return (await api.get(`${API}/model-versions/get`, { name, version }).expect(200)).body.model_version;
}

export async function grant(t: TestApp, name: string, user: string, level: string): Promise<void> {
  const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
  await t.container.prisma.permissionGrant.upsert({
    where: {
      resourceType_resourceId_principalType_principal: {
        resourceType: 'registered_model',
        resourceId: String(model.id),
        principalType: 'user',
        principal: user,
      },
    },
    create: { resourceType: 'registered_model', resourceId: String(model.id), principalType: 'user', principal: user, level, createdAt: 0n },
    update: { level },
  });
}

export interface RunFixture {
  experimentId: string;
  runId: string;
  artifactUri: string;
}

/** An experiment and a run created through the API by `user` (who then holds MANAGE on the experiment). */
export async function createRun(t: TestApp, user = 'alice'): Promise<RunFixture> {
  const api = t.as(user);
  const exp = await api.post(`${API}/experiments/create`, { name: uniqueName('exp') }).expect(200);
  const experimentId = exp.body.experiment_id as string;
  const run = await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200);
  const info = run.body.run.info as { run_id: string; artifact_uri: string };
  return { experimentId, runId: info.run_id, artifactUri: info.artifact_uri };
}
