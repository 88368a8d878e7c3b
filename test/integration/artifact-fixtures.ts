import { randomBytes } from 'node:crypto';
import type { TestApp } from '../helpers/test-app';

export interface RunFixture {
  experimentId: string;
  runId: string;
  root: string;
  artifactUri: string;
}

// TEMP dev version: seeds through prisma until experiments/runs endpoints land.
export async function createRun(t: TestApp, user = 'alice'): Promise<RunFixture> {
  const prisma = t.container.prisma;
  const exp = await prisma.experiment.create({ data: { name: `artifacts-${randomBytes(4).toString('hex')}`, artifactLocation: '', creationTime: 0n, lastUpdateTime: 0n } });
  const experimentId = String(exp.id);
  await prisma.experiment.update({ where: { id: exp.id }, data: { artifactLocation: `mlflow-artifacts:/${experimentId}` } });
  await t.container.permissions.grantCreator({ subject: user, groups: [], isAdmin: false }, 'experiment', experimentId);
  const runId = randomBytes(16).toString('hex');
  const artifactUri = `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
  await prisma.run.create({ data: { id: runId, experimentId: exp.id, status: 'RUNNING', startTime: 0n, artifactUri } });
  return { experimentId, runId, root: `${experimentId}/${runId}/artifacts`, artifactUri };
}

export const PROXY = '/api/2.0/mlflow-artifacts';
