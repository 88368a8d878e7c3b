import { doubleToWire } from '../../http/wire';
import type { MetricRow, RunRecord, RunWithData, StoredMetric } from './runs.repository';

export const toApiRunInfo = (r: RunRecord) => ({
  run_id: r.id,
  run_uuid: r.id,
  run_name: r.name,
  experiment_id: String(r.experimentId),
  user_id: r.userId,
  status: r.status,
  start_time: Number(r.startTime),
  ...(r.endTime !== null ? { end_time: Number(r.endTime) } : {}),
  artifact_uri: r.artifactUri,
  lifecycle_stage: r.lifecycleStage,
});

const metricValue = (value: number, isNan: boolean) => (isNan ? 'NaN' : doubleToWire(value));

export const toApiMetric = (m: MetricRow) => ({ key: m.key, value: metricValue(m.value, m.isNan), timestamp: m.timestamp, step: m.step });

const toApiStoredMetric = (m: StoredMetric) => ({ key: m.key, value: metricValue(m.value, m.is_nan), timestamp: m.timestamp, step: m.step });

const nonEmpty = <K extends string, T>(key: K, list: T[]) => (list.length > 0 ? ({ [key]: list } as Record<K, T[]>) : {});

export const toApiRun = (r: RunWithData) => ({
  info: toApiRunInfo(r),
  data: {
    ...nonEmpty('metrics', r.metrics.map(toApiStoredMetric)),
    ...nonEmpty('params', r.params),
    ...nonEmpty('tags', r.tags),
  },
  inputs: {
    ...nonEmpty(
      'dataset_inputs',
      r.datasetInputs.map((i) => ({
        ...nonEmpty('tags', i.tags),
        dataset: {
          name: i.dataset.name,
          digest: i.dataset.digest,
          source_type: i.dataset.source_type,
          source: i.dataset.source,
          ...(i.dataset.schema !== null ? { schema: i.dataset.schema } : {}),
          ...(i.dataset.profile !== null ? { profile: i.dataset.profile } : {}),
        },
      })),
    ),
    ...nonEmpty('model_inputs', r.modelInputs),
  },
  ...(r.modelOutputs.length > 0 ? { outputs: { model_outputs: r.modelOutputs } } : {}),
});
