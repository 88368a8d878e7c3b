import { toApiModelVersion } from './model-versions.mapper';
import type { ModelVersionRecord } from './model-versions.repository';
import type { RegisteredModelRow } from './registered-models.repository';
import type { Tag } from './registry-records';

export interface RegisteredModelRecord extends RegisteredModelRow {
  tags: Tag[];
  aliases: Array<{ alias: string; version: number }>;
  latestVersions: ModelVersionRecord[];
}

/** RegisteredModel in MLflow's JSON (model_registry.proto § RegisteredModel); empties omitted. */
export const toApiRegisteredModel = (m: RegisteredModelRecord) => ({
  name: m.name,
  creation_timestamp: Number(m.creationTime),
  last_updated_timestamp: Number(m.lastUpdatedTime),
  ...(m.userId ? { user_id: m.userId } : {}),
  ...(m.description ? { description: m.description } : {}),
  ...(m.latestVersions.length > 0 ? { latest_versions: m.latestVersions.map(toApiModelVersion) } : {}),
  ...(m.tags.length > 0 ? { tags: m.tags } : {}),
  ...(m.aliases.length > 0 ? { aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })) } : {}),
});
