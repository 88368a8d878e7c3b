import { Prisma } from '@prisma/client';
import { RegistryError } from '../errors';
import { shown } from '../lib/shown';

/**
 * A database failure, whichever client reported it. The shapes (test/integration/database-errors.test.ts
 * provokes each one):
 * - pg (src/db/sql.ts): a DatabaseError with the SQLSTATE in `code` and a `severity`; a Node socket
 *   error (ECONNREFUSED, with `syscall`); or a plain Error ("Connection terminated unexpectedly").
 * - Prisma through @prisma/adapter-pg: model queries throw the adapter's DriverAdapterError, whose
 *   `cause` holds a `kind` and, for errors the server sent, `originalCode` (the SQLSTATE); kinds Prisma
 *   knows arrive as a PrismaClientKnownRequestError (P2002, P2034, P1001, ...) with that cause under
 *   `meta.driverAdapterError`, and every raw query failure as P2010 wrapped the same way.
 */
export interface DatabaseFailure {
  sqlstate?: string;
  kind?: string;
  prismaCode?: string;
  nodeCode?: string;
  /** The server's or driver's own message (not Prisma's invocation text). */
  message: string;
  /** Columns of a violated constraint, when the driver names them. */
  fields?: string[];
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const PRISMA_CODE = /^P\d{4}$/;
/** pg's own errors for a connection it lost or could not make carry no code. */
const PG_CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end)/;
/** serde_json's words, in Prisma's errors, for a lone UTF-16 surrogate in a value it was given. */
const LONE_SURROGATE = /lone (leading|trailing) surrogate|unexpected end of hex escape/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function fromAdapterCause(cause: Record<string, unknown>): Omit<DatabaseFailure, 'message'> & { message?: string } {
  const code = str(cause.originalCode) ?? str(cause.code);
  const constraint = cause.constraint;
  const fields = isObject(constraint) && Array.isArray(constraint.fields) ? constraint.fields.map(String) : undefined;
  return {
    sqlstate: code !== undefined && SQLSTATE.test(code) ? code : undefined,
    kind: str(cause.kind),
    message: str(cause.originalMessage) ?? str(cause.message),
    fields,
  };
}

/** What the database (or the way to it) said, or undefined for anything that is not a database failure. */
export function databaseFailureOf(err: unknown): DatabaseFailure | undefined {
  if (!isObject(err)) return undefined;
  const message = str(err.message) ?? '';
  const code = str(err.code);
  if (code !== undefined && SQLSTATE.test(code) && typeof err.severity === 'string') {
    const key = /^Key \(([^)]+)\)/.exec(str(err.detail) ?? '');
    return { sqlstate: code, message, fields: key?.[1]?.split(', ') };
  }
  if (err.name === 'DriverAdapterError' && isObject(err.cause)) {
    const inner = fromAdapterCause(err.cause);
    return { ...inner, message: inner.message ?? message };
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    const meta = err.meta as { driverAdapterError?: { cause?: unknown }; code?: unknown } | undefined;
    const cause = meta?.driverAdapterError?.cause;
    const inner = isObject(cause) ? fromAdapterCause(cause) : {};
    const metaCode = str(meta?.code);
    return {
      ...inner,
      sqlstate: inner.sqlstate ?? (metaCode !== undefined && SQLSTATE.test(metaCode) ? metaCode : undefined),
      prismaCode: err.code,
      message: inner.message ?? message,
    };
  }
  if (err instanceof Prisma.PrismaClientInitializationError) return { prismaCode: err.errorCode ?? 'P1001', message };
  if (err instanceof Prisma.PrismaClientUnknownRequestError || err instanceof Prisma.PrismaClientValidationError) {
    return LONE_SURROGATE.test(message) ? { kind: 'LoneSurrogate', message } : undefined;
  }
  if (code !== undefined && PRISMA_CODE.test(code)) return { prismaCode: code, message };
  if (code !== undefined && typeof err.syscall === 'string') return { nodeCode: code, message };
  if (PG_CONNECTION_LOST.test(message)) return { nodeCode: 'CONNECTION_LOST', message };
  return undefined;
}

type Verdict = 'unavailable' | 'timeout' | 'conflict' | 'invalid' | 'duplicate' | 'missingReference' | 'stillReferenced' | 'notFound';

const BY_SQLSTATE: Record<string, Verdict> = {
  '23505': 'duplicate',
  '23503': 'missingReference',
  '57014': 'timeout', // statement_timeout, or a cancel request
  '25P03': 'timeout', // idle_in_transaction_session_timeout
  '55P03': 'conflict', // lock_not_available (lock_timeout, NOWAIT)
  '55006': 'conflict', // object_in_use
  '25006': 'unavailable', // read_only_sql_transaction: a standby answered, e.g. during a failover
  '3D000': 'unavailable', // the database does not exist (yet)
};

/** SQLSTATE classes (PostgreSQL manual, appendix A). Those not listed (42 syntax, XX internal, ...) are our bugs: 500. */
const BY_CLASS: Record<string, Verdict> = {
  '08': 'unavailable', // connection exception
  '22': 'invalid', // data exception: NUL in text, out of range, invalid representation, too long
  '23': 'invalid', // integrity constraint (not null, check, exclusion; unique and foreign key above)
  '28': 'unavailable', // invalid authorization (misconfiguration; logged)
  '40': 'conflict', // transaction rollback: serialization failure, deadlock
  '53': 'unavailable', // insufficient resources: too many connections, disk full, out of memory
  '54': 'invalid', // program limit exceeded: an index row or statement too large for the input
  '57': 'unavailable', // operator intervention: starting up (57P03), shutting down (57P01, 57P02)
  '58': 'unavailable', // system error: I/O
};

const BY_KIND: Record<string, Verdict> = {
  DatabaseNotReachable: 'unavailable',
  ConnectionClosed: 'unavailable',
  SocketTimeout: 'timeout',
  TooManyConnections: 'unavailable',
  TlsConnectionError: 'unavailable',
  DatabaseDoesNotExist: 'unavailable',
  DatabaseAccessDenied: 'unavailable',
  AuthenticationFailed: 'unavailable',
  TransactionAlreadyClosed: 'timeout',
  TransactionWriteConflict: 'conflict',
  UniqueConstraintViolation: 'duplicate',
  ForeignKeyConstraintViolation: 'missingReference',
  NullConstraintViolation: 'invalid',
  LengthMismatch: 'invalid',
  ValueOutOfRange: 'invalid',
  LoneSurrogate: 'invalid',
};

const BY_PRISMA_CODE: Record<string, Verdict> = {
  P1001: 'unavailable', // can't reach the server
  P1002: 'timeout',
  P1008: 'timeout',
  P1017: 'unavailable', // the server closed the connection
  P2024: 'timeout', // no connection from the pool in time
  P2028: 'timeout', // interactive transaction expired
  P2037: 'unavailable', // too many connections
  P2034: 'conflict', // write conflict or deadlock
  P2002: 'duplicate',
  P2003: 'missingReference',
  P2025: 'notFound',
  P2000: 'invalid', // value too long for the column
  P2011: 'invalid', // null constraint
  P2020: 'invalid', // value out of range
};

const NODE_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'CONNECTION_LOST']);

function verdictOf(f: DatabaseFailure): Verdict | undefined {
  if (f.sqlstate !== undefined) {
    const v = BY_SQLSTATE[f.sqlstate] ?? BY_CLASS[f.sqlstate.slice(0, 2)];
    // "update or delete on table ... violates foreign key constraint": the row is still referenced.
    if (v === 'missingReference' && /^update or delete on table/.test(f.message)) return 'stillReferenced';
    if (v !== undefined) return v;
  }
  if (f.kind !== undefined && BY_KIND[f.kind] !== undefined) return BY_KIND[f.kind];
  if (f.prismaCode !== undefined && BY_PRISMA_CODE[f.prismaCode] !== undefined) return BY_PRISMA_CODE[f.prismaCode];
  if (f.nodeCode !== undefined && NODE_UNAVAILABLE.has(f.nodeCode)) return 'unavailable';
  return undefined;
}

/** Server messages that are safe and useful to repeat: they name no host, user or database. */
const TELLING_CLASSES = new Set(['08', '22', '23', '40', '53', '54', '57']);

function reasonOf(f: DatabaseFailure): string {
  const code = f.sqlstate ?? f.kind ?? f.prismaCode ?? f.nodeCode ?? 'unknown';
  return f.sqlstate !== undefined && TELLING_CLASSES.has(f.sqlstate.slice(0, 2)) && f.message ? `${code}: ${shown(f.message)}` : code;
}

const RETRY_AFTER_SECONDS = 1;

/**
 * The one place that decides what a database failure means to the client: an outage, a timeout or
 * a transaction the server rolled back is 503 TEMPORARILY_UNAVAILABLE with Retry-After (MLflow's
 * client retries 503 with backoff, mlflow/utils/request_utils.py); a value PostgreSQL cannot store is 400; a
 * constraint violation a repository did not translate is what it means (already exists, refers to
 * something gone). Anything else (a syntax error, a missing column) is our bug, left to be a 500.
 */
export function classifyDatabaseError(err: unknown): RegistryError | undefined {
  const f = databaseFailureOf(err);
  const verdict = f && verdictOf(f);
  if (!f || !verdict) return undefined;
  const retry = { cause: err, retryAfterSeconds: RETRY_AFTER_SECONDS };
  switch (verdict) {
    case 'unavailable':
      return new RegistryError('TEMPORARILY_UNAVAILABLE', `The database is unavailable (${reasonOf(f)}); retry shortly.`, retry);
    case 'timeout': {
      const limit = /statement timeout/.test(f.message) ? '; the limit is DATABASE_STATEMENT_TIMEOUT_MS' : '';
      return new RegistryError('TEMPORARILY_UNAVAILABLE', `The database did not answer in time (${reasonOf(f)}${limit}); retry shortly.`, retry);
    }
    case 'conflict':
      return new RegistryError('TEMPORARILY_UNAVAILABLE', `The request collided with a concurrent one and was rolled back (${reasonOf(f)}); retry it.`, retry);
    case 'invalid':
      return new RegistryError('INVALID_PARAMETER_VALUE', invalidValueMessage(f), { cause: err });
    case 'duplicate':
      return new RegistryError('RESOURCE_ALREADY_EXISTS', `The resource already exists${f.fields ? ` (same ${f.fields.join(', ')})` : ''}.`, { cause: err });
    case 'missingReference':
      return new RegistryError('RESOURCE_DOES_NOT_EXIST', 'A resource the request refers to does not exist (it may have just been deleted).', { cause: err });
    case 'stillReferenced':
      return new RegistryError('RESOURCE_CONFLICT', 'The resource is still referenced by others and cannot be removed.', { cause: err });
    case 'notFound':
      return new RegistryError('RESOURCE_DOES_NOT_EXIST', 'The resource does not exist (it may have just been deleted).', { cause: err });
  }
}

function invalidValueMessage(f: DatabaseFailure): string {
  // PostgreSQL refuses NUL in text ("invalid byte sequence for encoding "UTF8": 0x00") and in jsonb
  // ("\u0000 cannot be converted to text", 22P05).
  if (f.sqlstate === '22021' || f.sqlstate === '22P05') return 'A text value in the request contains the NUL character (\\u0000), which cannot be stored.';
  if (f.kind === 'LoneSurrogate') return 'A text value in the request is not valid Unicode (a lone UTF-16 surrogate), and cannot be stored.';
  return `A value in the request cannot be stored (${reasonOf(f)}).`;
}
