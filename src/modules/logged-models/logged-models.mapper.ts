import type { LoggedModelRecord } from './logged-models.repository';

const nonEmpty = <K extends string, T>(key: K, list: T[]) => (list.length > 0 ? ({ [key]: list } as Record<K, T[]>) : {});

export const toApiLoggedModel = (m: LoggedModelRecord) => ({
  info: {
    model_id: m.id,
    experiment_id: String(m.experimentId),
    name: m.name,
    creation_timestamp_ms: Number(m.creationTime),
    last_updated_timestamp_ms: Number(m.lastUpdatedTime),
    artifact_uri: m.artifactLocation,
    status: m.status,
    ...(m.statusMessage ? { status_message: m.statusMessage } : {}),
    ...(m.modelType ? { model_type: m.modelType } : {}),
    ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
    ...nonEmpty('tags', m.tags),
    ...nonEmpty('registrations', m.registrations.map((r) => ({ name: r.name, version: String(r.version) }))),
  },
  data: { ...nonEmpty('params', m.params) },
});
