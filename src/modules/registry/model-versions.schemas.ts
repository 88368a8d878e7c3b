import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { bool, int64, repeated, requiredString, text } from '../../http/wire';
import { modelName, Tags, versionNumber } from './registered-models.schemas';

/** Model-version request messages, named after MLflow's protos (model_registry.proto). */

const name = modelName();
const description = text(LIMITS.descriptionLength).optional();
const version = versionNumber();
/** Optional ids: clients sometimes send "" for "unset". */
const optionalId = text(LIMITS.runIdLength)
  .optional()
  .transform((s) => (s === '' ? undefined : s));

export const CreateModelVersion = z.object({
  name,
  source: requiredString().pipe(text(LIMITS.sourceLength)),
  run_id: optionalId,
  tags: Tags,
  run_link: text(LIMITS.runLinkLength).optional(),
  description,
  model_id: optionalId,
});
export const GetModelVersion = z.object({ name, version });
export const UpdateModelVersion = z.object({ name, version, description });
export const DeleteModelVersion = z.object({ name, version });

export const SearchModelVersions = z.object({
  filter: z.string().optional(),
  max_results: int64().pipe(z.number().min(1).max(LIMITS.searchModelVersionsMax)).default(10_000),
  order_by: repeated(z.string(), LIMITS.orderByTerms).default([]),
  page_token: z.string().optional(),
});

export const TransitionModelVersionStage = z.object({
  name,
  version,
  stage: requiredString(),
  archive_existing_versions: bool().default(false),
});

export const GetModelVersionDownloadUri = z.object({ name, version });
export const SetModelVersionTag = z.object({ name, version, key: requiredString(), value: z.string() });
export const DeleteModelVersionTag = z.object({ name, version, key: requiredString() });
