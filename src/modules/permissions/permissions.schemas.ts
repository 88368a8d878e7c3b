import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { requiredString, text } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';
import { modelName } from '../registry/registered-models.schemas';

const principalName = () => z.string().min(1).pipe(text(LIMITS.principalNameLength));
const grantee = { username: principalName().optional(), group: principalName().optional() };

export const ExperimentGrant = z.object({ experiment_id: experimentId(), ...grantee });
export const ExperimentGrantWithLevel = ExperimentGrant.extend({ permission: requiredString() });
export const ExperimentRef = z.object({ experiment_id: experimentId() });

export const ModelGrant = z.object({ name: modelName(), ...grantee });
export const ModelGrantWithLevel = ModelGrant.extend({ permission: requiredString() });
export const ModelRef = z.object({ name: modelName() });

export const EffectiveQuery = z.object({ experiment_id: experimentId().optional(), name: modelName().optional() });
export type EffectiveQuery = z.output<typeof EffectiveQuery>;
