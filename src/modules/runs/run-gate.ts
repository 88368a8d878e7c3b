import type { Prisma } from '@prisma/client';
import type { Principal } from '../../http/principal';
import type { Level } from '../permissions/permission-levels';

/**
 * What other modules (artifacts, registry, logged models) may ask of runs. RunsService implements
 * it; the others depend on this file only, so none of them imports the runs service.
 */
export interface RunGate {
  /** 404 if the run is absent, 403 if the caller lacks `level` on the run's experiment. */
  requireRun(p: Principal, runId: string, level: Level): Promise<{ id: string; experimentId: bigint; artifactUri: string }>;
  /** 404 if the run is absent; its experiment otherwise (fixed for the run's life). */
  experimentIdOf(runId: string): Promise<bigint>;
  /** 404 if the run is absent. */
  find(runId: string): Promise<{ id: string; experimentId: bigint; artifactUri: string }>;
  /**
   * Inside `tx`: keeps these runs from being removed for good until `tx` ends (the garbage collector
   * locks the rows it removes, so it waits, then sees what `tx` wrote). 404 for one already gone.
   */
  hold(runIds: readonly string[], tx: Prisma.TransactionClient): Promise<void>;
}
