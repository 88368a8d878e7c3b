import { z } from 'zod';

/**
 * Zod building blocks for MLflow's JSON wire rules (mlflow-api.md §0): int64 as number or numeric
 * string, doubles with "NaN"/"Infinity" strings, repeated query keys, true/false booleans.
 */

const INT_STRING = /^-?\d+$/;
const NUMBER_STRING = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * An id that is a decimal number on the wire (experiment ids), as a number or a string of ASCII
 * digits, made canonical here ("0166" → "166") so that grants, audit rows and artifact keys never
 * see two spellings of one resource. Signs, spaces, exponents and non-ASCII digits are refused.
 */
export const decimalId = (message: string) =>
  z.union([z.number().int().nonnegative().transform(String), z.string()], { error: message }).pipe(
    z
      .string()
      .regex(/^\d{1,18}$/, message)
      .transform((s) => BigInt(s).toString()),
  );

/** A required non-empty string: empty counts as missing, as in MLflow. */
export const requiredString = () => z.string().min(1);

const INT64_MESSAGE = 'must be an integer within ±2^53, as a number or a decimal string';
const isSafeInteger = (n: number) => Number.isSafeInteger(n);

// Numbers pass through untransformed: a 1,000-metric log-batch validates 2,000 of these.
export const int64 = () => z.union([z.number().int(), z.string().regex(INT_STRING).transform(Number).refine(isSafeInteger, INT64_MESSAGE)], { error: INT64_MESSAGE });

export const double = () =>
  z.union([
    z.number(),
    z.enum(['NaN', 'Infinity', '-Infinity']).transform((s) => (s === 'NaN' ? Number.NaN : s === 'Infinity' ? Infinity : -Infinity)),
    z.string().regex(NUMBER_STRING).transform(Number),
  ]);

export const bool = () => z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((s) => s.toLowerCase() === 'true')]);

/** A string of at most `max` characters. */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters long`);

/**
 * A list of at most `max` items, counted before any item is checked: 500,000 tags cost one
 * comparison, not 500,000 parses.
 */
export const list = <T extends z.ZodType>(item: T, max: number) => z.array(z.unknown()).max(max, `must have at most ${max} items`).pipe(z.array(item));

/** A repeated field: a single query occurrence is promoted to a list (of at most `max` items). */
export const repeated = <T extends z.ZodType>(item: T, max: number) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), list(item, max));

export const keyValue = () => z.object({ key: requiredString(), value: z.string().optional() });

/** A page of a list response: the list under `key` and next_page_token, both omitted when empty. */
export function pageBody<T, K extends string>(key: K, page: { items: T[]; nextPageToken?: string }, map: (item: T) => unknown): Partial<Record<K | 'next_page_token', unknown>> {
  return {
    ...(page.items.length > 0 ? { [key]: page.items.map(map) } : {}),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  } as Partial<Record<K | 'next_page_token', unknown>>;
}

/** Doubles out: NaN and infinities travel as strings (protobuf JSON mapping). */
export function doubleToWire(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}
