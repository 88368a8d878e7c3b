import type { AuditEventRecord } from './audit.repository';

export const toApiAuditEvent = (e: AuditEventRecord) => ({
  timestamp: Number(e.timestamp),
  actor: e.actor,
  action: e.action,
  ...(e.modelName !== null ? { name: e.modelName } : {}),
  ...(e.version !== null ? { version: String(e.version) } : {}),
  ...(e.experimentId !== null ? { experiment_id: String(e.experimentId) } : {}),
  ...(e.before !== null ? { before: e.before } : {}),
  ...(e.after !== null ? { after: e.after } : {}),
});
