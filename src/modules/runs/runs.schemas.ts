import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { double, int64, keyValue, list, repeated, requiredString, text } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).default('ACTIVE_ONLY');

/** run_id, or the legacy run_uuid (mlflow-api.md §1.2). */
const runId = () => text(LIMITS.runIdLength);
const requiredRunId = () => requiredString().pipe(runId());
const runRef = {
  run_id: runId().optional(),
  run_uuid: runId().optional(),
};
export const resolveRunId = (i: { run_id?: string; run_uuid?: string }) => i.run_id || i.run_uuid || '';

export const CreateRun = z.object({
  experiment_id: experimentId().optional(),
  user_id: text(LIMITS.userIdLength).optional(),
  run_name: text(LIMITS.runNameLength).optional(),
  start_time: int64().optional(),
  tags: list(keyValue(), LIMITS.tagsPerRequest).optional(),
});

export const GetRun = z.object(runRef);
export const UpdateRun = z.object({
  ...runRef,
  status: z.enum(RUN_STATUSES).optional(),
  end_time: int64().optional(),
  run_name: text(LIMITS.runNameLength).optional(),
});
export const DeleteRun = z.object({ run_id: requiredRunId() });
export const RestoreRun = DeleteRun;

/** MLflow 3: a point logged with a model_id also counts as a metric of that logged model. */
const modelMetricFields = {
  model_id: z.string().optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
};

export const Metric = z.object({
  key: requiredString(),
  value: double(),
  timestamp: int64(),
  step: int64().optional(),
  ...modelMetricFields,
});

export const LogMetric = z.object({
  ...runRef,
  key: requiredString(),
  value: double(),
  timestamp: int64(),
  step: int64().optional(),
  ...modelMetricFields,
});

export const LogParam = z.object({ ...runRef, key: requiredString(), value: z.string().default('') });
export const SetTag = z.object({ ...runRef, key: requiredString(), value: z.string().default('') });
export const DeleteTag = z.object({ run_id: requiredRunId(), key: requiredString() });

export const LogBatch = z.object({
  run_id: requiredRunId(),
  metrics: z.array(Metric).default([]),
  params: z.array(z.object({ key: requiredString(), value: z.string().default('') })).default([]),
  tags: z.array(z.object({ key: requiredString(), value: z.string().default('') })).default([]),
});

export const LogModel = z.object({ run_id: requiredRunId(), model_json: requiredString() });

export const Dataset = z.object({
  name: requiredString(),
  digest: requiredString(),
  source_type: requiredString(),
  source: requiredString(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
export const LogInputs = z.object({
  run_id: requiredRunId(),
  datasets: z.array(z.object({ tags: list(keyValue(), LIMITS.tagsPerRequest).optional(), dataset: Dataset })).default([]),
  models: list(z.object({ model_id: requiredString() }), LIMITS.idsPerRequest).default([]),
});

export const LogOutputs = z.object({
  run_id: requiredRunId(),
  models: list(z.object({ model_id: requiredString(), step: int64().default(0) }), LIMITS.idsPerRequest).default([]),
});

export const GetMetricHistory = z.object({
  ...runRef,
  metric_key: requiredString(),
  max_results: int64().optional(),
  page_token: z.string().optional(),
});

export const GetMetricHistoryBulkInterval = z.object({
  run_ids: repeated(z.string().min(1), LIMITS.idsPerRequest),
  metric_key: requiredString(),
  start_step: int64().optional(),
  end_step: int64().optional(),
  max_results: int64().optional(),
});

export const SearchRuns = z.object({
  experiment_ids: repeated(experimentId(), LIMITS.idsPerRequest).default([]),
  filter: z.string().optional(),
  run_view_type: ViewType,
  max_results: int64().default(1000),
  order_by: repeated(z.string(), LIMITS.orderByTerms).default([]),
  page_token: z.string().optional(),
});

export type MetricInput = z.output<typeof Metric>;
export type CreateRunInput = z.output<typeof CreateRun>;
export type LogBatchInput = z.output<typeof LogBatch>;
export type LogInputsInput = z.output<typeof LogInputs>;
export type SearchRunsInput = z.output<typeof SearchRuns>;
