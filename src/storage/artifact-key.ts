import { invalidParameter } from '../errors';
import { withoutControlCharacters } from '../lib/shown';

/** S3's key limit; local filesystems accept it too (each segment is also capped below). */
const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/**
 * Names the local store uses for in-flight uploads (local-artifact-store.ts); reserved so a user
 * can neither create nor address one.
 */
export const TEMP_NAME_PREFIX = '.registry-upload-';

// Control characters (NUL included), backslashes and '/' never belong inside one segment.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern refuses
const FORBIDDEN_IN_SEGMENT = /[\u0000-\u001f\u007f\\/]/;
const DRIVE = /^[A-Za-z]:/;

/**
 * THE path-safety function: turns a user-supplied artifact path into a store key, or throws
 * INVALID_PARAMETER_VALUE before anything is touched. Use it for every path that comes from a
 * request: a key that escaped its prefix would reach another run's or model's files.
 *
 * - A string is a '/'-separated path from a query or form field (already URL-decoded once); one
 *   trailing '/' is accepted ("model/" names the directory "model").
 * - An array is an Express 5 wildcard param (`*path`): segments arrive decoded, so a `%2F` in the
 *   URL shows up as a '/' INSIDE one segment and is rejected here, as is every empty segment.
 *
 * Rejected: '..' and '.', absolute paths, drive letters, backslashes, NUL and other control
 * characters, empty segments ('a//b'), segments that decode once more into any of those
 * ('%2e%2e', '%2F' — what MLflow's validate_path_is_safe does), reserved temp names, and keys
 * over 1024 bytes. The empty path ('' or []) is the store root and only allowed with `allowRoot`.
 */
export function artifactKey(path: string | readonly string[], options: { allowRoot?: boolean } = {}): string {
  let segments: readonly string[];
  if (typeof path === 'string') {
    if (path.startsWith('/')) throw unsafe(path, 'absolute paths are not allowed');
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    segments = trimmed === '' ? [] : trimmed.split('/');
  } else {
    segments = path;
  }
  const shown = typeof path === 'string' ? path : path.join('/');
  if (segments.length === 0) {
    if (options.allowRoot) return '';
    throw unsafe(shown, 'the path is empty');
  }
  if (DRIVE.test(segments[0]!)) throw unsafe(shown, 'absolute paths are not allowed');
  for (const segment of segments) checkSegment(segment, shown);
  const key = segments.join('/');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw unsafe(shown, `it is longer than ${MAX_KEY_BYTES} bytes`);
  return key;
}

function checkSegment(segment: string, shown: string): void {
  if (segment === '') throw unsafe(shown, 'empty path segments are not allowed');
  for (const form of [segment, decodedOnce(segment)]) {
    if (form === '.' || form === '..') throw unsafe(shown, "'.' and '..' segments are not allowed");
    if (FORBIDDEN_IN_SEGMENT.test(form)) {
      throw unsafe(shown, "'/', '\\', NUL and control characters are not allowed inside a path segment");
    }
  }
  if (segment.startsWith(TEMP_NAME_PREFIX)) throw unsafe(shown, `names starting with '${TEMP_NAME_PREFIX}' are reserved`);
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw unsafe(shown, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
}

function decodedOnce(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not valid percent-encoding: the literal name is what gets stored
  }
}

function unsafe(path: string, why: string) {
  return invalidParameter(`Invalid artifact path '${withoutControlCharacters(path)}': ${why}.`);
}

/** Joins already-checked keys, skipping empty parts ('' is the root). */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** `key` relative to directory `dir` (both checked keys), or undefined if it is not inside it. */
export function relativeKey(dir: string, key: string): string | undefined {
  if (dir === '') return key;
  if (key === dir) return '';
  return key.startsWith(`${dir}/`) ? key.slice(dir.length + 1) : undefined;
}

/**
 * The store key behind an artifact URI this server serves (`mlflow-artifacts:/1/<run>/artifacts`,
 * also `mlflow-artifacts://host:port/...`), or undefined for any other scheme (s3://, file:, ...).
 * Throws INVALID_PARAMETER_VALUE for an unsafe path, like artifactKey().
 */
export function keyOfArtifactUri(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(uri);
  if (!m) return undefined;
  const path = (m[1] ?? '').replace(/^\/+/, '');
  return artifactKey(path, { allowRoot: true });
}
