import { doubleToWire } from '../../http/wire';
import type { MetricRow, RunRecord, RunWithData, StoredMetric } from './runs.repository';

// The wire objects are built as literals with every field in a fixed order, an absent one as
// undefined (which JSON leaves out, as MLflow leaves out empty fields), not by spreading objects
// with computed keys: V8 builds a spread's result property by property in its runtime, and this
// runs for every run of a search page.

const orOmitted = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

export const toApiRunInfo = (r: RunRecord) => ({
  run_id: r.id,
  run_uuid: r.id,
  run_name: r.name,
  experiment_id: String(r.experimentId),
  user_id: r.userId,
  status: r.status,
  start_time: Number(r.startTime),
  end_time: r.endTime !== null ? Number(r.endTime) : undefined,
  artifact_uri: r.artifactUri,
  lifecycle_stage: r.lifecycleStage,
});

const metricValue = (value: number, isNan: boolean) => (isNan ? 'NaN' : doubleToWire(value));

export const toApiMetric = (m: MetricRow) => ({ key: m.key, value: metricValue(m.value, m.isNan), timestamp: m.timestamp, step: m.step });

const toApiStoredMetric = (m: StoredMetric) => ({ key: m.key, value: metricValue(m.value, m.is_nan), timestamp: m.timestamp, step: m.step });

const toApiDatasetInput = (i: RunWithData['datasetInputs'][number]) => ({
  tags: orOmitted(i.tags),
  dataset: {
    name: i.dataset.name,
    digest: i.dataset.digest,
    source_type: i.dataset.source_type,
    source: i.dataset.source,
    schema: i.dataset.schema ?? undefined,
    profile: i.dataset.profile ?? undefined,
  },
});

export const toApiRun = (r: RunWithData) => ({
  info: toApiRunInfo(r),
  data: {
    metrics: orOmitted(r.metrics.map(toApiStoredMetric)),
    params: orOmitted(r.params),
    tags: orOmitted(r.tags),
  },
  inputs: {
    dataset_inputs: orOmitted(r.datasetInputs.map(toApiDatasetInput)),
    model_inputs: orOmitted(r.modelInputs),
  },
  outputs: r.modelOutputs.length > 0 ? { model_outputs: r.modelOutputs } : undefined,
});
