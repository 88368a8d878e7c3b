import type { ModelVersionRecord } from './model-versions.repository';

const nonEmpty = (s: string | null | undefined): s is string => s !== null && s !== undefined && s !== '';

/** ModelVersion in MLflow's JSON (model_registry.proto § ModelVersion): version as a string, empties omitted. */
export const toApiModelVersion = (v: ModelVersionRecord) => ({
  name: v.name,
  version: String(v.version),
  creation_timestamp: Number(v.creationTime),
  last_updated_timestamp: Number(v.lastUpdatedTime),
  ...(nonEmpty(v.userId) ? { user_id: v.userId } : {}),
  current_stage: v.currentStage,
  ...(nonEmpty(v.description) ? { description: v.description } : {}),
  source: v.source,
  ...(nonEmpty(v.runId) ? { run_id: v.runId } : {}),
  status: v.status,
  ...(nonEmpty(v.statusMessage) ? { status_message: v.statusMessage } : {}),
  ...(v.tags.length > 0 ? { tags: v.tags } : {}),
  ...(nonEmpty(v.runLink) ? { run_link: v.runLink } : {}),
  ...(v.aliases.length > 0 ? { aliases: v.aliases } : {}),
  ...(nonEmpty(v.loggedModelId) ? { model_id: v.loggedModelId } : {}),
});
