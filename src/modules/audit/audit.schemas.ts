import { z } from 'zod';
import { int64 } from '../../http/wire';
import { experimentId } from '../experiments/experiments.schemas';
import { versionNumber } from '../registry/registered-models.schemas';

export const AUDIT_MAX_RESULTS = 1000;

/** GET /api/2.0/registry/audit?name=<model>[&version=<n>] or ?experiment_id=<id>. */
export const GetAuditTrail = z.object({
  name: z.string().min(1).optional(),
  version: versionNumber().optional(),
  experiment_id: experimentId().optional(),
  max_results: int64().pipe(z.number().min(1).max(AUDIT_MAX_RESULTS)).default(100),
  page_token: z.string().optional(),
});
