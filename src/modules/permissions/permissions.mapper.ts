import type { Grant } from './grants.repository';

/** MLflow names the grantee `user_id`; group grants carry `group` instead. */
const who = (g: Grant) => (g.principalType === 'user' ? { user_id: g.principal } : { group: g.principal });

export const toApiExperimentPermission = (experimentId: string, g: Grant) => ({ experiment_id: experimentId, ...who(g), permission: g.level });

export const toApiModelPermission = (name: string, g: Grant) => ({ name, ...who(g), permission: g.level });

export const toApiGrant = (g: Grant) => ({ ...who(g), permission: g.level });
