import { invalidParameter } from '../../errors';
import type { Finder, Found } from '../../http/route-table';
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
    /** 404 if the experiment is absent. */
    private readonly experimentExists: (experimentId: string) => Promise<void>,
    /** The registered model's id by its current name, or null if no such model exists. */
    private readonly findModelId: (name: string) => Promise<bigint | null>,
  ) {}

  /**
   * The route table's finder of the trail's owner: the experiment of experiment_id (404 if
   * absent), the live registered model named name, or, for a name no live model has, the trail of
   * deleted models: administrators only.
   */
  owner<I>(queryOf: (input: I) => AuditTrailQuery): Finder<I> {
    return {
      via: 'the experiment of experiment_id, else the registered model named name (admins only once deleted)',
      find: async (input): Promise<Found> => {
        const q = queryOf(input);
        if ((q.name === undefined) === (q.experimentId === undefined)) {
          throw invalidParameter("Pass exactly one of 'name' (a registered model) or 'experiment_id'.");
        }
        if (q.experimentId !== undefined) {
          if (q.version !== undefined) throw invalidParameter("'version' only applies to a registered model's trail.");
          await this.experimentExists(q.experimentId);
          return { type: 'experiment', id: q.experimentId, what: q.experimentId };
        }
        const name = q.name!;
        const modelId = await this.findModelId(name);
        if (modelId !== null) return { type: 'registered_model', id: String(modelId), what: `'${name}'` };
        return {
          type: 'registered_model',
          id: '',
          what: `'${name}'`,
          adminOnly: true,
          denial: `Registered Model with name=${name} does not exist; only admins may read the audit trail of a deleted model.`,
        };
      },
    };
  }

  /** The trail of what `owner` found. */
  async list(q: AuditTrailQuery, owner: Found): Promise<{ items: AuditEventRecord[]; nextPageToken?: string }> {
    if (owner.type === 'experiment') return this.audit.list({ experimentId: BigInt(owner.id) }, q.pageToken, q.maxResults);
    const version = q.version !== undefined ? { version: q.version } : {};
    if (!owner.adminOnly) return this.audit.list({ modelId: BigInt(owner.id), ...version }, q.pageToken, q.maxResults);
    // The whole trail of models deleted under this name (their earlier names included), and any
    // event that carried the name.
    const name = q.name!;
    const modelIds = await this.audit.deletedModelIds(name);
    return this.audit.list({ modelIds, modelName: name, ...version }, q.pageToken, q.maxResults);
  }
}
