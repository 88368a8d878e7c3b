import express, { type NextFunction, type Request, type Response } from 'express';
import { RegistryError } from '../errors';
import { refuseUnstorableText } from './validate';

/** MLflow's caps (mlflow-api.md §3.4), in one place. */
export const LIMITS = {
  logBatchMetrics: 1000,
  logBatchParams: 100,
  logBatchTags: 100,
  logBatchTotal: 1000,
  logBatchBodyBytes: 1_000_000,
  searchExperimentsMax: 50_000,
  searchRunsMax: 50_000,
  searchRegisteredModelsMax: 1000,
  searchModelVersionsMax: 200_000,
  searchLoggedModelsMax: 50,
  keyLength: 250,
  paramValueLength: 6000,
  runTagValueLength: 8000,
  experimentTagValueLength: 5000,
  registryTagValueLength: 5000,
  experimentNameLength: 500,
  registeredModelNameLength: 256,
  aliasLength: 255,
  // Columns of MLflow's SQL store (model_versions.run_link, runs.user_id, runs.name, logged_models.name,
  // registered_models.description).
  descriptionLength: 5000,
  runLinkLength: 500,
  userIdLength: 256,
  runNameLength: 250,
  loggedModelNameLength: 500,
  /** MLflow's run id format, [A-Za-z0-9][A-Za-z0-9_-]{0,255}. */
  runIdLength: 256,
  // Ours: MLflow sets no cap on these, and each item costs work (a 500,000-tag create took 24 s).
  sourceLength: 1000,
  principalNameLength: 256,
  tagsPerRequest: 1000,
  paramsPerRequest: 1000,
  idsPerRequest: 1000,
  orderByTerms: 100,
} as const;

const BACKSLASH_U = Buffer.from('\\u');

/**
 * Whether raw JSON has an escape that may spell text PostgreSQL cannot store: \u0000, or a
 * surrogate \uD800-\uDFFF (raw bytes cannot: NUL is invalid JSON and bad UTF-8 decodes to U+FFFD).
 * Most bodies have neither, and their parsed values are never walked.
 */
function mayHoldUnstorableText(buf: Buffer): boolean {
  for (let i = buf.indexOf(BACKSLASH_U); i !== -1; i = buf.indexOf(BACKSLASH_U, i + 2)) {
    const a = buf[i + 2]! | 0x20; // lower case
    const b = buf[i + 3]! | 0x20;
    if (a === 0x30 && b === 0x30 && buf[i + 4] === 0x30 && buf[i + 5] === 0x30) return true; // 0000
    if (a === 0x64 && ((b >= 0x38 && b <= 0x39) || (b >= 0x61 && b <= 0x66))) return true; // d8-df
  }
  return false;
}

/** Requests whose raw body mayHoldUnstorableText: set in verify, read when the body is parsed. */
const toWalk = new WeakSet<Request>();

/**
 * JSON bodies for every method (DELETE carries JSON in MLflow); the size cap is configurable, and
 * counts the decoded bytes of a gzip, deflate or br body (body-parser inflates them; invalid ones
 * and other encodings are refused in error-handler.ts). Text PostgreSQL cannot store is refused here.
 */
export function jsonBody(limitBytes: number) {
  const parse = express.json({
    limit: limitBytes,
    type: () => true,
    strict: false,
    verify: (req: Request, _res, buf: Buffer) => {
      req.bodyBytes = buf.length;
      if (mayHoldUnstorableText(buf)) toWalk.add(req);
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    parse(req, res, (err?: unknown) => {
      if (err === undefined && toWalk.delete(req)) {
        try {
          refuseUnstorableText(req.body);
        } catch (refused) {
          next(refused);
          return;
        }
      }
      next(err);
    });
  };
}

/** MLflow answers POST/PUT without application/json with this 400 (mlflow-api.md §0). */
function requireJsonContentType(req: Request, _res: Response, next: NextFunction): void {
  if ((req.method === 'POST' || req.method === 'PUT') && !req.is('application/json')) {
    throw new RegistryError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type must be one of [application/json]');
  }
  next();
}

/**
 * requireJsonContentType, then jsonBody, as one middleware: every Express layer a request passes
 * costs it a few microseconds, and every MLflow RPC passes this one.
 */
export function jsonRequest(limitBytes: number) {
  const parse = jsonBody(limitBytes);
  return (req: Request, res: Response, next: NextFunction): void => {
    requireJsonContentType(req, res, () => parse(req, res, next));
  };
}
