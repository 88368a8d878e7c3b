import { randomBytes, randomUUID } from 'node:crypto';
import { invalidParameter } from '../errors';

/** MLflow run ids: uuid4 as 32 lowercase hex characters. */
export const newRunId = (): string => randomUUID().replace(/-/g, '');

/** Experiment ids are decimal on the wire ("0", "1", ...) and bigint in the database. */
export function parseExperimentId(id: string): bigint {
  if (!/^\d{1,18}$/.test(id)) throw invalidParameter(`Invalid experiment ID: '${id}'`);
  return BigInt(id);
}

/** MLflow 3 logged-model ids: "m-" + 32 hex characters. */
export const newLoggedModelId = (): string => `m-${randomBytes(16).toString('hex')}`;
