import { randomBytes, randomUUID } from 'node:crypto';

/** MLflow run ids: uuid4 as 32 lowercase hex characters. */
export const newRunId = (): string => randomUUID().replace(/-/g, '');

/** MLflow 3 logged-model ids: "m-" + 32 hex characters. */
export const newLoggedModelId = (): string => `m-${randomBytes(16).toString('hex')}`;
