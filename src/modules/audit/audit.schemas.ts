import { z } from 'zod';
import { int64 } from '../../http/wire';
import { versionNumber } from '../registered-models/registered-models.schemas';

export const AUDIT_MAX_RESULTS = 1000;

/** GET /api/2.0/registry/audit?name=<model>[&version=<n>] or ?experiment_id=<id>. */
export const GetAuditTrail = z.object({
  name: z.string().min(1).optional(),
  version: versionNumber().optional(),
  experiment_id: z.string().regex(/^\d{1,18}$/, 'must be an experiment id').optional(),
  max_results: int64().pipe(z.number().min(1).max(AUDIT_MAX_RESULTS)).default(100),
  page_token: z.string().optional(),
});
