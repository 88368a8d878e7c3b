import { z } from 'zod';
import { requiredString } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';

const grantee = { username: z.string().min(1).optional(), group: z.string().min(1).optional() };

export const ExperimentGrant = z.object({ experiment_id: experimentId(), ...grantee });
export const ExperimentGrantWithLevel = ExperimentGrant.extend({ permission: requiredString() });
export const ExperimentRef = z.object({ experiment_id: experimentId() });

export const ModelGrant = z.object({ name: requiredString(), ...grantee });
export const ModelGrantWithLevel = ModelGrant.extend({ permission: requiredString() });
export const ModelRef = z.object({ name: requiredString() });
