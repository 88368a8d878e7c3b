import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { int64, keyValue, list, repeated, requiredString, text } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';

export const STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;

export const CreateLoggedModel = z.object({
  experiment_id: experimentId(),
  name: text(LIMITS.loggedModelNameLength).optional(),
  model_type: text(LIMITS.loggedModelNameLength).optional(),
  source_run_id: text(LIMITS.runIdLength).optional(),
  params: list(keyValue(), LIMITS.paramsPerRequest).default([]),
  tags: list(keyValue(), LIMITS.tagsPerRequest).default([]),
});

export const FinalizeLoggedModel = z.object({ status: z.enum(STATUSES) });
export const SetLoggedModelTags = z.object({ tags: list(keyValue(), LIMITS.tagsPerRequest).default([]) });
export const LogLoggedModelParams = z.object({ params: list(keyValue(), LIMITS.paramsPerRequest).default([]) });

export const SearchLoggedModels = z.object({
  experiment_ids: repeated(experimentId(), LIMITS.idsPerRequest).default([]),
  filter: z.string().optional(),
  datasets: list(z.object({ dataset_name: requiredString(), dataset_digest: z.string().optional() }), LIMITS.idsPerRequest).default([]),
  max_results: int64().default(50),
  order_by: list(
    z
      .object({
        field_name: requiredString(),
        ascending: z.boolean().default(true),
        dataset_name: z.string().optional(),
        dataset_digest: z.string().optional(),
      })
      .loose(),
    LIMITS.orderByTerms,
  ).default([]),
  page_token: z.string().optional(),
});

export const ListDirectories = z.object({
  artifact_directory_path: z.string().optional(),
  page_token: z.string().optional(),
});

export type CreateLoggedModelInput = z.output<typeof CreateLoggedModel>;
export type SearchLoggedModelsInput = z.output<typeof SearchLoggedModels>;
