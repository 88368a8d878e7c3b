import type { Prisma } from '@prisma/client';
import type { Principal } from '../../http/principal';
import type { Level } from '../permissions/permission-levels';

/** What model-versions needs to register an MLflow 3 logged model (`models:/m-…`, `model_id`). */
export interface LoggedModelGate {
  requireLoggedModel(p: Principal, modelId: string, level: Level): Promise<{ id: string; artifactLocation: string }>;
  /** Inside `tx`: keeps these logged models from being removed for good until `tx` ends (RunGate.hold). 404 for one already gone. */
  hold(modelIds: readonly string[], tx: Prisma.TransactionClient): Promise<void>;
}
