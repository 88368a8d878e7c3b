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
  const res = await api
    .post(`${API}/model-versions/create`, { name, source: 's3://bucket/models/m', ...extra })
    .expect(200);
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

// Seeds through prisma until the runs endpoints land (then: POST /runs/create).
export async function createRun(t: TestApp, user = 'alice'): Promise<RunFixture> {
  const prisma = t.container.prisma;
  const exp = await prisma.experiment.create({
    data: { name: uniqueName('exp'), artifactLocation: '', creationTime: 0n, lastUpdateTime: 0n },
  });
  const experimentId = String(exp.id);
  await prisma.experiment.update({ where: { id: exp.id }, data: { artifactLocation: `mlflow-artifacts:/${experimentId}` } });
  await t.container.permissions.grantCreator({ subject: user, groups: [], isAdmin: false }, 'experiment', experimentId);
  const runId = randomBytes(16).toString('hex');
  const artifactUri = `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
  await prisma.run.create({ data: { id: runId, experimentId: exp.id, status: 'RUNNING', startTime: 0n, artifactUri } });
  return { experimentId, runId, artifactUri };
}
