import { invalidParameter } from '../errors';

/** Opaque page tokens: base64 of {"offset": N}, like MLflow's (mlflow-api.md §4.4). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

/** The JSON inside a token, or 400 when it is not base64 of JSON. */
function parseToken(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalidParameter(`Invalid page token, could not base64-decode: ${token}`);
  }
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const parsed = parseToken(token);
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidParameter(`Invalid page token: ${token}`);
  }
  return offset;
}

/**
 * A keyset token: base64 of {"after": [...]}, the sort key of the last row of the page, as strings,
 * so the next page starts right after it whatever its depth (get-history). Offset tokens are taken
 * too, as any earlier answer may have handed one out.
 */
export function encodeKeysetToken(after: readonly string[]): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64');
}

export function decodeKeysetOrOffsetToken(token: string | undefined, width: number): { after: string[] } | { offset: number } {
  if (token === undefined || token === '') return { offset: 0 };
  const after = (parseToken(token) as { after?: unknown } | null)?.after;
  if (after === undefined) return { offset: decodePageToken(token) };
  if (!Array.isArray(after) || after.length !== width || !after.every((x) => typeof x === 'string' && x.length <= 40)) throw invalidParameter(`Invalid page token: ${token}`);
  return { after: after as string[] };
}

/** Rows fetched with limit max+1 → the page and the token for the next one, if any. */
export function pageOf<T>(rows: T[], offset: number, maxResults: number): { items: T[]; nextPageToken?: string } {
  if (rows.length > maxResults) {
    return { items: rows.slice(0, maxResults), nextPageToken: encodePageToken(offset + maxResults) };
  }
  return { items: rows };
}
