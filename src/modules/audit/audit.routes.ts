import { Router } from 'express';
import type { Container } from '../../container';
import { jsonBody } from '../../http/limits';
import { principalOf } from '../../http/principal';
import { parseQuery } from '../../http/validate';
import { toApiAuditEvent } from './audit.mapper';
import { GetAuditTrail } from './audit.schemas';

/** The audit trail (mlflow-api.md §7 #4), mounted by app.ts under /api/2.0/registry and /ajax-api/2.0/registry. */
export function auditRoutes(c: Container): Router {
  const router = Router();
  router.use(jsonBody(c.config.limits.jsonBodyBytes));

  router.get('/audit', async (req, res) => {
    const input = parseQuery(GetAuditTrail, req);
    const page = await c.auditTrail.list(principalOf(req), {
      name: input.name,
      version: input.version,
      experimentId: input.experiment_id,
      pageToken: input.page_token,
      maxResults: input.max_results,
    });
    res.json({
      events: page.items.map(toApiAuditEvent),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    });
  });

  return router;
}
