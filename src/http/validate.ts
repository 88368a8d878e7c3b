import type { Request } from 'express';
import type { z } from 'zod';
import { RegistryError } from '../errors';
import { shown } from '../lib/shown';

const MISSING = (p: string) => `Missing value for required parameter '${p}'. See the API docs for more information about request parameters.`;

function toError(error: z.ZodError): RegistryError {
  const issue = error.issues[0]!;
  const name = issue.path.join('.') || 'request';
  const input = (issue as { input?: unknown }).input;
  const missing = input === undefined || input === null || (issue.code === 'too_small' && input === '');
  if (missing && issue.path.length > 0) return new RegistryError('INVALID_PARAMETER_VALUE', MISSING(name));
  const value = typeof input === 'string' ? `'${shown(input)}'` : shownJson(input);
  return new RegistryError(
    'INVALID_PARAMETER_VALUE',
    `Invalid value ${value} for parameter '${name}' supplied: ${issue.message}`,
  );
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
  const useBody =
    Object.keys(query).length === 0 && typeof body === 'object' && body !== null && !Array.isArray(body);
  return parseWith(schema, useBody ? body : query);
}
