import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { toApiGcReport } from './gc.mapper';
import { parseOlderThan, RunGc } from './gc.schemas';

/** Garbage collection of soft-deleted data (README "Garbage collection"), under /api/2.0/registry. */
export function gcRoutes(c: Container): AnyRoute[] {
  return [
    route({
      key: 'registry.gc',
      area: 'registry',
      method: 'POST',
      path: '/gc',
      schema: RunGc,
      from: 'body',
      access: { kind: 'admin', note: 'removes soft-deleted runs, experiments, logged models, model versions and orphaned artifacts for good' },
      summary: 'Removes what was deleted longer ago than older_than (default GC_RETENTION) with its artifacts, and orphaned artifacts; dry_run only counts.',
      handle: async ({ input, principal }) => {
        const report = await c.gc.run({
          olderThanMs: input.older_than === undefined ? c.config.gc.retentionSeconds * 1000 : parseOlderThan(input.older_than)!,
          dryRun: input.dry_run,
          experimentIds: input.experiment_ids,
          runIds: input.run_ids,
          actor: principal,
        });
        return toApiGcReport(report);
      },
    }),
  ];
}
