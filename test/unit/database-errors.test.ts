import { Prisma } from '@prisma/client';
import { DatabaseError } from 'pg';
import { classifyDatabaseError, databaseFailureOf } from '../../src/db/database-errors';

/**
 * Shapes too awkward to provoke against a real server (test/integration/database-errors.test.ts
 * provokes the others), built as pg and Prisma build them.
 */

/** A server error as pg parses it from an ErrorResponse (pg-protocol's DatabaseError). */
function pgError(code: string, message: string, severity = 'ERROR', detail?: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  Object.assign(err, { code, severity, detail });
  return err;
}

/** A Node socket error (what pg's connect rejects with). */
function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code, errno: -1, syscall: 'connect', address: '10.0.0.5', port: 5432 });
}

/** @prisma/adapter-pg's DriverAdapterError, as model queries throw it. */
function adapterError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error(String(cause.originalMessage ?? cause.kind)), { name: 'DriverAdapterError', cause });
}

function prismaError(code: string, cause?: Record<string, unknown>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError(`\nInvalid invocation:\n\n${code}`, {
    code,
    clientVersion: Prisma.prismaVersion.client,
    meta: cause ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : undefined,
  });
}

const outcome = (err: unknown) => {
  const e = classifyDatabaseError(err);
  return e && { status: e.status, code: e.code, retryAfter: e.retryAfterSeconds };
};
const UNAVAILABLE = { status: 503, code: 'TEMPORARILY_UNAVAILABLE', retryAfter: 1 };
const INVALID = { status: 400, code: 'INVALID_PARAMETER_VALUE', retryAfter: undefined };

describe('classifyDatabaseError', () => {
  it.each([
    ['57P03 starting up, from pg', pgError('57P03', 'the database system is starting up', 'FATAL')],
    [
      '57P03 starting up, from a Prisma model query',
      adapterError({ kind: 'postgres', code: '57P03', originalCode: '57P03', originalMessage: 'the database system is starting up', severity: 'FATAL' }),
    ],
    ['57P03 starting up, from a Prisma raw query', prismaError('P2010', { kind: 'postgres', code: '57P03', originalCode: '57P03', originalMessage: 'the database system is starting up' })],
    ['57P01 shutting down', pgError('57P01', 'terminating connection due to administrator command', 'FATAL')],
    ['57P02 crash shutdown', pgError('57P02', 'terminating connection because of crash of another server process', 'WARNING')],
    ['53300 too many connections, from pg', pgError('53300', 'sorry, too many clients already', 'FATAL')],
    ['53300 too many connections, from Prisma', adapterError({ kind: 'TooManyConnections', originalCode: '53300', cause: 'sorry, too many clients already' })],
    ['53100 disk full', pgError('53100', 'could not extend file: No space left on device')],
    ['08006 connection failure', pgError('08006', 'connection failure')],
    ['25006 read-only transaction (a standby after a failover)', pgError('25006', 'cannot execute INSERT in a read-only transaction')],
    ['3D000 database does not exist', pgError('3D000', 'database "registry" does not exist', 'FATAL')],
    ['28P01 authentication failed', pgError('28P01', 'password authentication failed for user "registry"', 'FATAL')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['EAI_AGAIN (DNS)', socketError('EAI_AGAIN')],
    ["pg's lost connection", new Error('Connection terminated unexpectedly')],
    ["pg's connect timeout", new Error('timeout exceeded when trying to connect')],
    ['P1001 cannot reach the server', prismaError('P1001', { kind: 'DatabaseNotReachable', host: '10.0.0.5', port: 5432 })],
    ['P1017 server closed the connection', prismaError('P1017')],
    ['P2024 no pool connection in time', prismaError('P2024')],
    ['P2028 transaction expired', prismaError('P2028')],
    ['ConnectionClosed', adapterError({ kind: 'ConnectionClosed' })],
    ['SocketTimeout', adapterError({ kind: 'SocketTimeout' })],
    ['40001 serialization failure', pgError('40001', 'could not serialize access due to concurrent update')],
    ['40P01 deadlock', pgError('40P01', 'deadlock detected')],
    ['P2034 write conflict', prismaError('P2034', { kind: 'TransactionWriteConflict', originalCode: '40001' })],
    ['55P03 lock not available', pgError('55P03', 'canceling statement due to lock timeout')],
    ['57014 statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['25P03 idle in transaction timeout', pgError('25P03', 'terminating connection due to idle-in-transaction timeout', 'FATAL')],
  ])('%s: 503 TEMPORARILY_UNAVAILABLE with Retry-After', (_what, err) => {
    expect(outcome(err)).toEqual(UNAVAILABLE);
  });

  it.each([
    ['22021 NUL in text', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
    ['22P02 invalid text representation', pgError('22P02', 'invalid input syntax for type bigint: "x"')],
    ['22001 too long, from Prisma', prismaError('P2000', { kind: 'LengthMismatch', originalCode: '22001', column: 'name' })],
    [
      '22003 out of range, from a Prisma model query',
      adapterError({ kind: 'ValueOutOfRange', originalCode: '22003', originalMessage: 'value "2147483648" is out of range for type integer' }),
    ],
    ['23502 null', pgError('23502', 'null value in column "name" violates not-null constraint')],
    ['23514 check', pgError('23514', 'new row violates check constraint')],
    ['54000 index row too large', pgError('54000', 'index row size 9000 exceeds btree version 4 maximum 2704')],
    [
      'a lone surrogate Prisma refused',
      new Prisma.PrismaClientUnknownRequestError('JSON Error: lone leading surrogate in hex escape at line 1 column 93', { clientVersion: Prisma.prismaVersion.client }),
    ],
  ])('%s: 400 INVALID_PARAMETER_VALUE', (_what, err) => {
    expect(outcome(err)).toEqual(INVALID);
  });

  it('names the columns of a unique violation, from pg and from Prisma', () => {
    expect(classifyDatabaseError(pgError('23505', 'duplicate key value violates unique constraint "x"', 'ERROR', 'Key (name, version)=(m, 1) already exists.'))?.message).toBe(
      'The resource already exists (same name, version).',
    );
    expect(classifyDatabaseError(prismaError('P2002', { kind: 'UniqueConstraintViolation', originalCode: '23505', constraint: { fields: ['name'] } }))).toMatchObject({
      status: 400,
      code: 'RESOURCE_ALREADY_EXISTS',
      message: 'The resource already exists (same name).',
    });
  });

  it('never repeats what could name a host, a user or a database', () => {
    for (const err of [
      socketError('ECONNREFUSED'),
      pgError('28P01', 'password authentication failed for user "registry"', 'FATAL'),
      prismaError('P1001', { kind: 'DatabaseNotReachable', host: '10.0.0.5', port: 5432 }),
    ]) {
      expect(classifyDatabaseError(err)?.message).not.toMatch(/10\.0\.0\.5|registry"/);
    }
  });

  it.each([
    ['a syntax error (42601)', pgError('42601', 'syntax error at or near "SELEKT"')],
    ['an internal error (XX000)', pgError('XX000', 'could not open relation')],
    ['a Prisma validation error of our own making', new Prisma.PrismaClientValidationError('Argument `name` is missing.', { clientVersion: Prisma.prismaVersion.client })],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a file error', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', errno: -2, syscall: 'open' })],
    ['a string', 'boom'],
    ['null', null],
  ])('leaves %s to be a 500', (_what, err) => {
    expect(classifyDatabaseError(err)).toBeUndefined();
  });

  it('reads the SQLSTATE wherever the client put it', () => {
    expect(databaseFailureOf(pgError('57P03', 'the database system is starting up', 'FATAL'))).toMatchObject({ sqlstate: '57P03' });
    expect(databaseFailureOf(adapterError({ kind: 'postgres', code: '57014', originalCode: '57014', originalMessage: 'canceling statement' }))).toMatchObject({
      sqlstate: '57014',
      kind: 'postgres',
      message: 'canceling statement',
    });
    expect(databaseFailureOf(prismaError('P2010', { kind: 'postgres', originalCode: '22021', originalMessage: 'invalid byte sequence' }))).toMatchObject({
      sqlstate: '22021',
      prismaCode: 'P2010',
      message: 'invalid byte sequence',
    });
  });
});
