import { Prisma } from '@prisma/client';
import { databaseFailureOf } from './database-errors';

/** A unique-constraint violation: from a model query (P2002), a raw query (P2010 with SQLSTATE 23505) or pg. */
export function isUniqueViolation(err: unknown): boolean {
  const f = databaseFailureOf(err);
  return f !== undefined && (f.prismaCode === 'P2002' || f.sqlstate === '23505' || f.kind === 'UniqueConstraintViolation');
}

/** "Record to update/delete does not exist" from a model query. */
export function isRecordNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}
