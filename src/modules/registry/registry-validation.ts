import { invalidParameter } from '../../errors';
import { LIMITS } from '../../http/limits';

/** Registry input rules from MLflow's validation (mlflow/utils/validation.py). */

export function validateModelName(name: string): void {
  if (name.length > LIMITS.registeredModelNameLength) {
    throw invalidParameter(`Registered model name '${name.slice(0, 40)}…' exceeds the maximum length of ${LIMITS.registeredModelNameLength}.`);
  }
  if (name.includes('\0')) throw invalidParameter('Registered model name may not contain a NUL character.');
}

const TAG_KEY = /^[\p{L}\p{N}_.\- :/]+$/u;

/** Tag keys: MLflow's character set, at most 250 characters, and a normalised path. */
export function validateTag(key: string, value: string | undefined): void {
  if (key.length > LIMITS.keyLength) {
    throw invalidParameter(`Tag key '${key.slice(0, 40)}…' exceeds the maximum length of ${LIMITS.keyLength}.`);
  }
  if (!TAG_KEY.test(key)) {
    throw invalidParameter(`Invalid tag name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`);
  }
  const segments = key.split('/');
  if (key.startsWith('/') || key.endsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw invalidParameter(`Invalid tag name: '${key}'. Names must be a normalized path (no '..', '.', '//' or leading/trailing '/').`);
  }
  if (value !== undefined && value.length > LIMITS.registryTagValueLength) {
    throw invalidParameter(`Tag value for key '${key}' exceeds the maximum length of ${LIMITS.registryTagValueLength} characters.`);
  }
}

const ALIAS = /^[A-Za-z0-9_-]+$/;

/** Alias names: [A-Za-z0-9_-]+, ≤255 (reading or deleting one; setting one also needs validateNewAlias). */
export function validateAlias(alias: string): void {
  if (alias.length > LIMITS.aliasLength) {
    throw invalidParameter(`Alias name '${alias.slice(0, 40)}…' exceeds the maximum length of ${LIMITS.aliasLength}.`);
  }
  if (!ALIAS.test(alias)) {
    throw invalidParameter(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores, and hyphens.`);
  }
}

/**
 * An alias to set: `latest` (any case) and `v<digits>` cannot be, as they name versions. Reading
 * `latest` is allowed, as in MLflow: it answers the highest version (getByAlias).
 */
export function validateNewAlias(alias: string): void {
  validateAlias(alias);
  if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
}
