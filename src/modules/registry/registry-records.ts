import type { Prisma, PrismaClient } from '@prisma/client';

/** The Prisma client or an interactive transaction: the service decides where transactions start. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** A registered model's or model version's tag. */
export interface Tag {
  key: string;
  value: string;
}
