import { z } from 'zod';
import { int64, keyValue, repeated, requiredString } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';

export const STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;

export const CreateLoggedModel = z.object({
  experiment_id: experimentId(),
  name: z.string().optional(),
  model_type: z.string().optional(),
  source_run_id: z.string().optional(),
  params: z.array(keyValue()).default([]),
  tags: z.array(keyValue()).default([]),
});

export const FinalizeLoggedModel = z.object({ status: z.enum(STATUSES) });
export const SetLoggedModelTags = z.object({ tags: z.array(keyValue()).default([]) });
export const LogLoggedModelParams = z.object({ params: z.array(keyValue()).default([]) });

export const SearchLoggedModels = z.object({
  experiment_ids: repeated(experimentId()).default([]),
  filter: z.string().optional(),
  datasets: z.array(z.object({ dataset_name: requiredString(), dataset_digest: z.string().optional() })).default([]),
  max_results: int64().default(50),
  order_by: z
    .array(
      z
        .object({
          field_name: requiredString(),
          ascending: z.boolean().default(true),
          dataset_name: z.string().optional(),
          dataset_digest: z.string().optional(),
        })
        .loose(),
    )
    .default([]),
  page_token: z.string().optional(),
});

export const ListDirectories = z.object({
  artifact_directory_path: z.string().optional(),
  page_token: z.string().optional(),
});

export type CreateLoggedModelInput = z.output<typeof CreateLoggedModel>;
export type SearchLoggedModelsInput = z.output<typeof SearchLoggedModels>;
