import type { PrismaClient } from '@prisma/client';
import { notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService } from '../permissions/permissions.service';

/** What model-versions needs from c.runs (BRIEF.md cross-module contract). */
export interface RunGate {
  requireRun(p: Principal, runId: string, level: Level): Promise<{ id: string; experimentId: bigint; artifactUri: string }>;
}

/** What model-versions needs to register an MLflow 3 logged model (`models:/m-…`, `model_id`). */
export interface LoggedModelGate {
  requireLoggedModel(p: Principal, modelId: string, level: Level): Promise<{ id: string; artifactLocation: string }>;
}

/**
 * Read-only stand-in used until a logged-models service is on the container: the same contract
 * (404 if absent, 403 without `level` on the model's experiment).
 */
export function fallbackRegistryGates(prisma: PrismaClient, permissions: PermissionsService): { loggedModels: LoggedModelGate } {
  return {
    loggedModels: {
      async requireLoggedModel(p, modelId, level) {
        const model = await prisma.loggedModel.findUnique({ where: { id: modelId } });
        if (!model) throw notFound(`Logged model with ID '${modelId}' not found.`);
        await permissions.require(p, 'experiment', String(model.experimentId), level, String(model.experimentId));
        return model;
      },
    },
  };
}
