import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { decimalId, int64, keyValue, list, repeated, requiredString } from '../../http/wire';

/** Experiment ids are decimal strings on the wire ("0", "1", ...); ints are stringified like MLflow does, "0166" is "166". */
export const experimentId = () => decimalId('Invalid experiment ID');

export const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).default('ACTIVE_ONLY');

export const CreateExperiment = z.object({
  name: requiredString(),
  artifact_location: z.string().optional(),
  tags: list(keyValue(), LIMITS.tagsPerRequest).optional(),
});

export const GetExperiment = z.object({ experiment_id: experimentId() });
export const GetExperimentByName = z.object({ experiment_name: requiredString() });

export const SearchExperiments = z.object({
  max_results: int64().optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: repeated(z.string(), LIMITS.orderByTerms).optional(),
  view_type: ViewType,
});

export const UpdateExperiment = z.object({ experiment_id: experimentId(), new_name: requiredString() });
export const DeleteExperiment = z.object({ experiment_id: experimentId() });
export const RestoreExperiment = DeleteExperiment;

export const SetExperimentTag = z.object({
  experiment_id: experimentId(),
  key: requiredString(),
  value: z.string().default(''),
});
export const DeleteExperimentTag = z.object({ experiment_id: experimentId(), key: requiredString() });

export type CreateExperimentInput = z.output<typeof CreateExperiment>;
export type SearchExperimentsInput = z.output<typeof SearchExperiments>;
