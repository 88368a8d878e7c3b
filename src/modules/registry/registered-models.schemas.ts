import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { int64, keyValue, list, repeated, requiredString, text } from '../../http/wire';

/** Registered-model request messages, named after MLflow's protos (model_registry.proto). */

/** A model version number: a JSON number or numeric string ("3"), as MLflow accepts. */
export const versionNumber = () =>
  z
    .union([z.number().int(), z.string().regex(/^\d+$/, 'must be an integer')])
    .transform((v) => Number(v))
    .refine((n) => n >= 0 && n <= 2_147_483_647, 'must be an integer');

/** Tags given on create; a key given twice keeps its last value. */
export const Tags = list(keyValue(), LIMITS.tagsPerRequest)
  .optional()
  .transform((tags) => [...new Map((tags ?? []).map((t) => [t.key, t.value ?? ''])).entries()].map(([key, value]) => ({ key, value })));

// Longer names cannot exist (registry-validation.ts), and are never echoed back whole in a 404.
export const modelName = () => requiredString().pipe(text(LIMITS.registeredModelNameLength));
const name = modelName();
const description = text(LIMITS.descriptionLength).optional();

export const CreateRegisteredModel = z.object({ name, tags: Tags, description });
export const GetRegisteredModel = z.object({ name });
export const RenameRegisteredModel = z.object({ name, new_name: modelName() });
export const UpdateRegisteredModel = z.object({ name, description });
export const DeleteRegisteredModel = z.object({ name });

export const SearchRegisteredModels = z.object({
  filter: z.string().optional(),
  max_results: int64().pipe(z.number().min(1).max(LIMITS.searchRegisteredModelsMax)).default(100),
  order_by: repeated(z.string(), LIMITS.orderByTerms).default([]),
  page_token: z.string().optional(),
});

export const GetLatestVersions = z.object({ name, stages: repeated(z.string(), 10).default([]) });

export const SetRegisteredModelTag = z.object({ name, key: requiredString(), value: z.string().default('') });
export const DeleteRegisteredModelTag = z.object({ name, key: requiredString() });

export const SetRegisteredModelAlias = z.object({ name, alias: requiredString(), version: versionNumber() });
export const DeleteRegisteredModelAlias = z.object({ name, alias: requiredString() });
export const GetModelVersionByAlias = z.object({ name, alias: requiredString() });
