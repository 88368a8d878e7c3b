import type { Prisma } from '@prisma/client';
import type { RawDb } from '../../db/sql';
import type { RegisteredModelsRepository } from './registered-models.repository';

/** What a registry write must tell the registered-model cache (InvalidatedCache.beginWrite). */
export interface WriteListener {
  /** A write starts; the returned function says it has finished (committed or not). */
  beginWrite(): () => void;
}

/**
 * Every write of the registry services goes through here, so none can forget the cache: while a
 * write runs, the registered-model cache neither serves nor keeps anything, and it is emptied when
 * the write ends, so the next read in this process sees it. (Other replicas' writes reach the cache
 * as registry_changed notifications.)
 */
export class RegistryWrites {
  constructor(
    private readonly models: RegisteredModelsRepository,
    private readonly cache: WriteListener,
  ) {}

  /** A write in one transaction. */
  transaction<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.write(() => this.models.transaction(fn));
  }

  /** A write in one transaction of raw statements only (cheaper than a Prisma one: src/db/README.md rule 4). */
  rawTransaction<T>(fn: (tx: RawDb) => Promise<T>): Promise<T> {
    return this.write(() => this.models.rawTransaction(fn));
  }

  /** A write of one statement, outside a transaction. */
  async write<T>(fn: () => Promise<T>): Promise<T> {
    const done = this.cache.beginWrite();
    try {
      return await fn();
    } finally {
      done();
    }
  }
}
