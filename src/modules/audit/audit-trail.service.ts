import { invalidParameter, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { PermissionsService } from '../permissions/permissions.service';
import type { AuditEventRecord } from './audit.repository';
import type { AuditService } from './audit.service';

export interface AuditTrailQuery {
  name?: string;
  version?: number;
  experimentId?: string;
  pageToken?: string;
  maxResults: number;
}

/**
 * Reading the audit trail (GET /api/2.0/registry/audit), newest first. A live model's trail is
 * found by its id (so it spans renames) and needs READ on it; a deleted model's trail is found
 * by the name it had and is for admins only. An experiment's trail needs READ on it.
 */
export class AuditTrailService {
  constructor(
    private readonly audit: AuditService,
    private readonly permissions: PermissionsService,
    /** The registered model's id by its current name, or null if no such model exists. */
    private readonly findModelId: (name: string) => Promise<bigint | null>,
  ) {}

  async list(p: Principal, q: AuditTrailQuery): Promise<{ items: AuditEventRecord[]; nextPageToken?: string }> {
    if ((q.name === undefined) === (q.experimentId === undefined)) {
      throw invalidParameter("Pass exactly one of 'name' (a registered model) or 'experiment_id'.");
    }
    if (q.experimentId !== undefined) {
      if (q.version !== undefined) throw invalidParameter("'version' only applies to a registered model's trail.");
      await this.permissions.require(p, 'experiment', q.experimentId, 'READ', q.experimentId);
      return this.audit.list({ experimentId: BigInt(q.experimentId) }, q.pageToken, q.maxResults);
    }
    const name = q.name!;
    const version = q.version !== undefined ? { version: q.version } : {};
    const modelId = await this.findModelId(name);
    if (modelId !== null) {
      await this.permissions.require(p, 'registered_model', String(modelId), 'READ', `'${name}'`);
      return this.audit.list({ modelId, ...version }, q.pageToken, q.maxResults);
    }
    if (!p.isAdmin) {
      throw new RegistryError(
        'PERMISSION_DENIED',
        `Registered Model with name=${name} does not exist; only admins may read the audit trail of a deleted model.`,
      );
    }
    // The whole trail of models deleted under this name (their earlier names included), and any
    // event that carried the name.
    const modelIds = await this.audit.deletedModelIds(name);
    return this.audit.list({ modelIds, modelName: name, ...version }, q.pageToken, q.maxResults);
  }
}
