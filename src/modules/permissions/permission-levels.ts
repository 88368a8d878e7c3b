import { invalidParameter } from '../../errors';

/**
 * Ordered permission levels (README "Permissions"). Registered models use all of them;
 * experiments use NO_PERMISSIONS, READ, EDIT and MANAGE.
 */
export const LEVELS = ['NO_PERMISSIONS', 'USE', 'READ', 'EDIT', 'MANAGE_STAGING', 'MANAGE_PRODUCTION', 'MANAGE'] as const;
export type Level = (typeof LEVELS)[number];

export const EXPERIMENT_LEVELS: readonly Level[] = ['NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE'];
export const MODEL_LEVELS: readonly Level[] = LEVELS;

export type ResourceType = 'experiment' | 'registered_model';

export const rank = (level: Level): number => LEVELS.indexOf(level);
export const atLeast = (have: Level, need: Level): boolean => rank(have) >= rank(need);
export const highest = (levels: Iterable<Level>): Level | undefined => {
  let best: Level | undefined;
  for (const l of levels) if (best === undefined || rank(l) > rank(best)) best = l;
  return best;
};

// MLflow's and Databricks' names for the same levels (mlflow/server/auth/permissions.py, Databricks' permissions API).
const ALIASES: Record<string, Level> = {
  CAN_READ: 'READ',
  CAN_EDIT: 'EDIT',
  CAN_MANAGE_STAGING_VERSIONS: 'MANAGE_STAGING',
  CAN_MANAGE_PRODUCTION_VERSIONS: 'MANAGE_PRODUCTION',
  CAN_MANAGE: 'MANAGE',
  CAN_USE: 'USE',
};

/** Parses a level name (ours, MLflow's or Databricks'), checking it applies to the resource type. */
export function parseLevel(name: string, type: ResourceType): Level {
  const upper = name.trim().toUpperCase();
  const level = (LEVELS as readonly string[]).includes(upper) ? (upper as Level) : ALIASES[upper];
  const allowed = type === 'experiment' ? EXPERIMENT_LEVELS : MODEL_LEVELS;
  if (!level || !allowed.includes(level)) {
    throw invalidParameter(`Invalid permission '${name}' for a ${type.replace('_', ' ')}; use one of ${allowed.join(', ')}.`);
  }
  return level;
}

/** The level an experiment check uses when the configured default is a model-only level. */
export function forResourceType(level: Level, type: ResourceType): Level {
  if (type === 'registered_model') return level;
  if (level === 'USE') return 'NO_PERMISSIONS';
  if (level === 'MANAGE_STAGING' || level === 'MANAGE_PRODUCTION') return 'EDIT';
  return level;
}
