import type { Request } from 'express';
import type { z } from 'zod';
import { RegistryError } from '../errors';
import { shown } from '../lib/shown';
import { hasLoneSurrogate } from '../lib/text';

const MISSING = (p: string) => `Missing value for required parameter '${p}'. See the API docs for more information about request parameters.`;

function toError(error: z.ZodError): RegistryError {
  const issue = error.issues[0]!;
  const name = issue.path.join('.') || 'request';
  const input = (issue as { input?: unknown }).input;
  const missing = input === undefined || input === null || (issue.code === 'too_small' && input === '');
  if (missing && issue.path.length > 0) return new RegistryError('INVALID_PARAMETER_VALUE', MISSING(name));
  const value = typeof input === 'string' ? `'${shown(input)}'` : shownJson(input);
  return new RegistryError('INVALID_PARAMETER_VALUE', `Invalid value ${value} for parameter '${name}' supplied: ${issue.message}`);
}

/** A non-string input, as JSON, cut like strings are (an array of 500,000 tags is not repeated back). */
function shownJson(input: unknown): string {
  if (Array.isArray(input) && input.length > 20) return `(a list of ${input.length} items)`;
  try {
    return shown(JSON.stringify(input) ?? '');
  } catch {
    return '';
  }
}

export function parseWith<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const result = schema.safeParse(data ?? {}, { reportInput: true });
  if (!result.success) throw toError(result.error);
  return result.data;
}

/** Validates a JSON body; a body that is not an object is a 400 like any other bad input. */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const body: unknown = req.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new RegistryError('INVALID_PARAMETER_VALUE', 'The request body must be a JSON object.');
  }
  return parseWith(schema, body ?? {});
}

/** Validates a GET query; with no query string MLflow falls back to a JSON body. */
export function parseQuery<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const query = req.query as Record<string, unknown>;
  const body: unknown = req.body;
  const useBody = Object.keys(query).length === 0 && typeof body === 'object' && body !== null && !Array.isArray(body);
  if (!useBody) refuseUnstorableText(query);
  return parseWith(schema, useBody ? body : query);
}

// eslint-disable-next-line no-control-regex
const NUL_OR_SURROGATE = /[\u0000\ud800-\udfff]/;

function unstorable(s: string): string | undefined {
  if (!NUL_OR_SURROGATE.test(s)) return undefined;
  if (s.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  return hasLoneSurrogate(s) ? 'must be valid Unicode text, without a lone UTF-16 surrogate' : undefined;
}

interface Visit {
  value: unknown;
  key: string | undefined;
  parent: Visit | undefined;
}

function pathOf(v: Visit): string {
  const parts: string[] = [];
  for (let at: Visit | undefined = v; at?.key !== undefined; at = at.parent) parts.push(at.key);
  return parts.reverse().join('.');
}

/**
 * Refuses text PostgreSQL cannot store, in every string and key of a parsed body or query, naming
 * the field: NUL (PostgreSQL's text has none) and lone UTF-16 surrogates (JSON's "\ud800", no
 * Unicode at all: pg would store U+FFFD instead, Prisma refuses it). Iterative, for bodies nested
 * deeper than the stack.
 */
export function refuseUnstorableText(data: unknown): void {
  const stack: Visit[] = [{ value: data, key: undefined, parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { value } = visit;
    let problem: string | undefined;
    if (typeof value === 'string') problem = unstorable(value);
    else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child: Visit = { value: (value as Record<string, unknown>)[key], key, parent: visit };
        const keyProblem = unstorable(key);
        if (keyProblem) throw unstorableError(child, key, keyProblem);
        stack.push(child);
      }
    }
    if (problem) throw unstorableError(visit, value as string, problem);
  }
}

function unstorableError(at: Visit, text: string, problem: string): RegistryError {
  return new RegistryError('INVALID_PARAMETER_VALUE', `Invalid value '${shown(text)}' for parameter '${shown(pathOf(at)) || 'request'}' supplied: ${problem}`);
}
