import { toApiMetric } from '../runs/runs.mapper';
import type { LoggedModelMetric, LoggedModelRecord } from './logged-models.repository';

const nonEmpty = <K extends string, T>(key: K, list: T[]) => (list.length > 0 ? ({ [key]: list } as Record<K, T[]>) : {});

/** A point of the model's metrics: MLflow's Metric with the run, dataset and model it was logged for. */
const toApiModelMetric = (modelId: string, m: LoggedModelMetric) => ({
  ...toApiMetric(m),
  run_id: m.runId,
  model_id: modelId,
  ...(m.datasetName ? { dataset_name: m.datasetName } : {}),
  ...(m.datasetDigest ? { dataset_digest: m.datasetDigest } : {}),
});

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
    ...nonEmpty(
      'registrations',
      m.registrations.map((r) => ({ name: r.name, version: String(r.version) })),
    ),
  },
  data: {
    ...nonEmpty('params', m.params),
    ...nonEmpty(
      'metrics',
      m.metrics.map((x) => toApiModelMetric(m.id, x)),
    ),
  },
});
