import type { NextFunction, Request, Response } from 'express';
import { type ErrorCode, RegistryError } from '../errors';
import type { Logger } from '../logger';

interface HttpishError {
  type?: string;
  status?: number;
  code?: string;
  name?: string;
  message?: string;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'P1001', 'P1002', 'P1017', '57P01', '53300']);

/** Turns whatever was thrown into MLflow's {error_code, message} with MLflow's status. */
function toRegistryError(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  const e = (err ?? {}) as HttpishError;
  if (e.type === 'entity.parse.failed') {
    return new RegistryError('INVALID_PARAMETER_VALUE', `Malformed JSON request body: ${e.message ?? ''}`.trim());
  }
  if (e.type === 'entity.too.large') {
    return new RegistryError('INVALID_PARAMETER_VALUE', 'Request body too large; the limit is MAX_JSON_BODY_BYTES.', { status: 413 });
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported' || e.type === 'request.aborted') {
    return new RegistryError('BAD_REQUEST', e.message ?? 'Bad request');
  }
  if (err instanceof URIError) {
    return new RegistryError('INVALID_PARAMETER_VALUE', 'Malformed percent-encoding in the request path or query.');
  }
  if (e.name === 'MulterError') {
    const tooLarge = e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FIELD_VALUE' || e.code === 'LIMIT_FILE_COUNT' || e.code === 'LIMIT_PART_COUNT' || e.code === 'LIMIT_FIELD_COUNT';
    return new RegistryError('INVALID_PARAMETER_VALUE', `Upload rejected: ${e.message ?? e.code}`, { status: tooLarge ? 413 : 400 });
  }
  if (e.code && UNAVAILABLE_CODES.has(e.code)) {
    return new RegistryError('TEMPORARILY_UNAVAILABLE', 'The database is unavailable; retry shortly.');
  }
  return undefined;
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = toRegistryError(err);
    const code: ErrorCode = known?.code ?? 'INTERNAL_ERROR';
    const status = known?.status ?? 500;
    if (status >= 500) {
      logger.error({ err, reqId: req.id, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    const message = known?.message ?? `Internal error (request id ${req.id ?? 'unknown'}); see the server log.`;
    res.status(status).json({ error_code: code, message });
  };
}

export function endpointNotFound(req: Request): never {
  throw new RegistryError('ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${req.path}.`);
}
