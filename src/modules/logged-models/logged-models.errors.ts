import { notFound } from '../../errors';

/** MLflow's answer for a logged model that does not exist (or is deleted); runs answer the same for a metric logged against one. */
export const loggedModelNotFound = (modelId: string) => notFound(`Logged model with ID '${modelId}' not found.`);
