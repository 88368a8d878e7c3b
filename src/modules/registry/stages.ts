import { invalidParameter } from '../../errors';
import type { Level } from '../permissions/permission-levels';

/** MLflow's stages (mlflow/entities/model_registry/model_version_stages.py); input in any case, stored and returned canonically. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/** A soft-deleted version keeps its number under this internal stage; it is never returned. */
export const DELETED_STAGE = 'Deleted_Internal';

export function canonicalStage(input: string): Stage {
  const stage = STAGES.find((s) => s.toLowerCase() === input.trim().toLowerCase());
  if (!stage) {
    throw invalidParameter(`Invalid Model Version stage: ${input}. Value must be one of ${STAGES.join(', ')}.`);
  }
  return stage;
}

/**
 * The level a transition needs (README "Permissions"). Moves that touch Production need
 * MANAGE_PRODUCTION; so do moves into or out of Archived, except Staging ↔ Archived, which
 * (like None ↔ Staging) is MANAGE_STAGING's business. Archiving side effects follow the same
 * rule, and they always start from the target stage, so checking the requested move suffices.
 */
export function levelForTransition(from: Stage, to: Stage): Level {
  if (from === 'Production' || to === 'Production') return 'MANAGE_PRODUCTION';
  const archived = from === 'Archived' || to === 'Archived';
  const staging = from === 'Staging' || to === 'Staging';
  if (archived && !staging) return 'MANAGE_PRODUCTION';
  return 'MANAGE_STAGING';
}

/** archive_existing_versions only makes sense for Staging and Production (MLflow raises otherwise). */
export function assertArchivable(stage: Stage): void {
  if (stage !== 'Staging' && stage !== 'Production') {
    throw invalidParameter(`Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` + `Valid stages are Staging and Production.`);
  }
}
