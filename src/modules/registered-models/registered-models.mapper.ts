import { toApiModelVersion } from '../model-versions/model-versions.mapper';
import type { ModelVersionRecord } from '../model-versions/model-versions.repository';
import type { RegisteredModelRow, Tag } from './registered-models.repository';

export interface RegisteredModelRecord extends RegisteredModelRow {
  tags: Tag[];
  aliases: Array<{ alias: string; version: number }>;
  latestVersions: ModelVersionRecord[];
}

/** RegisteredModel in MLflow's JSON (mlflow-api.md §1.5); empties omitted. */
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
