import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { toApiAuditEvent } from './audit.mapper';
import type { AuditTrailQuery } from './audit-trail.service';
import { GetAuditTrail } from './audit.schemas';
import type { z } from 'zod';

const queryOf = (i: z.output<typeof GetAuditTrail>): AuditTrailQuery => ({
  name: i.name,
  version: i.version,
  experimentId: i.experiment_id,
  pageToken: i.page_token,
  maxResults: i.max_results,
});

/** The audit trail (mlflow-api.md §7 #4), served under /api/2.0/registry and /ajax-api/2.0/registry. */
export function auditRoutes(c: Container): AnyRoute[] {
  return [
    route({
      key: 'registry.audit',
      area: 'registry',
      method: 'GET',
      path: '/audit',
      schema: GetAuditTrail,
      from: 'query',
      access: {
        kind: 'resource',
        type: 'owner',
        level: 'READ',
        on: c.auditTrail.owner(queryOf),
        cases: [
          { key: 'experiment', type: 'experiment', level: 'READ', when: 'experiment_id is given' },
          { key: 'model', type: 'registered_model', level: 'READ', when: 'name (and version) is given' },
        ],
      },
      summary: 'The audit trail of an experiment or a registered model, newest first, a page at a time.',
      handle: async ({ input, granted }) => {
        const page = await c.auditTrail.list(queryOf(input), granted!);
        return {
          events: page.items.map(toApiAuditEvent),
          ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
        };
      },
    }),
  ];
}
