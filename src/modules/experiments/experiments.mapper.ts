import type { ExperimentWithTags } from './experiments.repository';

export const toApiExperiment = (e: ExperimentWithTags) => ({
  experiment_id: String(e.id),
  name: e.name,
  artifact_location: e.artifactLocation,
  lifecycle_stage: e.lifecycleStage,
  last_update_time: Number(e.lastUpdateTime),
  creation_time: Number(e.creationTime),
  ...(e.tags.length > 0 ? { tags: e.tags.map((t) => ({ key: t.key, value: t.value })) } : {}),
});
