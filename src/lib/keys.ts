import { invalidParameter } from '../errors';

// MLflow's rules for metric, param and tag keys (mlflow-api.md §3.4): letters, digits, `_ - . / :`
// and spaces, at most 250 characters, and "path-normalised" because keys may become file names.
const KEY_CHARS = /^[\w.\- /:]*$/;
export const MAX_KEY_LENGTH = 250;

function normalisedPath(key: string): string {
  const out: string[] = [];
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/') || '.';
}

export function validateKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (!KEY_CHARS.test(key)) {
    throw invalidParameter(`Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`);
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidParameter(`${kind[0]!.toUpperCase()}${kind.slice(1)} name '${key.slice(0, 40)}…' had length ${key.length}, which exceeded length limit of ${MAX_KEY_LENGTH}`);
  }
  if (key.startsWith('/') || normalisedPath(key) !== key) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalisedPath(key)}'`,
    );
  }
}

export function validateLength(what: string, value: string, limit: number): void {
  if (value.length > limit) {
    throw invalidParameter(`${what} had length ${value.length}, which exceeded length limit of ${limit}`);
  }
}
