import { randomBytes, randomUUID } from 'node:crypto';
import { invalidParameter } from '../errors';

/** MLflow run ids: uuid4 as 32 lowercase hex characters. */
export const newRunId = (): string => randomUUID().replace(/-/g, '');

/**
 * Experiment ids are decimal on the wire ("0", "1", ...) and bigint in the database. Only the
 * canonical spelling passes (the edge canonicalises request fields, http/wire.ts decimalId): a
 * "0166" that got here some other way, such as an artifact key, would name experiment 166 while
 * its grants and keys are looked up as "0166".
 */
export function parseExperimentId(id: string): bigint {
  if (!/^(0|[1-9]\d{0,17})$/.test(id)) throw invalidParameter(`Invalid experiment ID: '${id}'`);
  return BigInt(id);
}

/** MLflow 3 logged-model ids: "m-" + 32 hex characters. */
export const newLoggedModelId = (): string => `m-${randomBytes(16).toString('hex')}`;
