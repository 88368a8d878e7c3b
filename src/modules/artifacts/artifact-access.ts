import { invalidParameter, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Finder, Found } from '../../http/route-table';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService } from '../permissions/permissions.service';
import type { RunGate } from '../runs/run-gate';

export type ArtifactAction = 'read' | 'write' | 'delete';

/** The level each artifact action needs on the key's owner. */
export const ARTIFACT_LEVEL: Record<ArtifactAction, Level> = { read: 'READ', write: 'EDIT', delete: 'MANAGE' };

/**
 * What the artifact module needs from the experiments service; declared here so that artifacts
 * depend on this much of experiments and nothing more.
 */
export interface ExperimentGate {
  /** 404 if the experiment is absent. */
  exists(experimentId: string): Promise<void>;
}

/**
 * Who owns which key: the leading segment names the resource (store layout in
 * storage/artifact-layout.ts).
 * - `<experiment_id>/...` → the experiment; a run id as second segment (`<exp>/<run>/artifacts/...`)
 *   must be a run of that experiment; `<exp>/models/<model_id>/...` (MLflow 3 logged models) is the
 *   experiment's too.
 * - `registry/<registered_model_id>/...` → that registered model.
 * - anything else, the root included → administrators only.
 */
export class ArtifactAccess {
  constructor(
    private readonly experiments: ExperimentGate,
    private readonly runs: RunGate,
    private readonly permissions: PermissionsService,
  ) {}

  /** The owner of a key: 404 for an absent experiment or run, 400 for a run under another experiment. */
  async ownerOf(key: string): Promise<Found> {
    const [first, second] = key === '' ? [] : key.split('/');
    if (first !== undefined && /^\d+$/.test(first)) {
      await this.experiments.exists(first);
      if (second !== undefined && second !== 'models') {
        const experimentId = await this.runs.experimentIdOf(second);
        if (String(experimentId) !== first) {
          throw invalidParameter(`Run '${second}' does not belong to experiment ${first}; its artifacts live under ${String(experimentId)}/${second}/.`);
        }
      }
      return { type: 'experiment', id: first, what: `id=${first}` };
    }
    if (first === 'registry' && second !== undefined && /^\d+$/.test(second)) return { type: 'registered_model', id: second, what: `id=${second}` };
    return { adminOnly: true, id: '', what: key };
  }

  /** The route table's finder of the owner of the key a request names. */
  owner<I>(keyOf: (input: I) => string, via: string): Finder<I> {
    return { via, find: (input) => this.ownerOf(keyOf(input)) };
  }

  /**
   * For a key the service derives from loaded data (a run's artifact root): 403 unless the caller
   * holds the action's level on the key's owner.
   */
  async authorize(p: Principal, key: string, action: ArtifactAction): Promise<void> {
    const owner = await this.ownerOf(key);
    if (owner.adminOnly) {
      if (!p.isAdmin) throw outsideOwners(p, key);
      return;
    }
    await this.permissions.require(p, owner.type!, owner.id, ARTIFACT_LEVEL[action], owner.what);
  }
}

export function outsideOwners(p: Principal, key: string): RegistryError {
  return new RegistryError(
    'PERMISSION_DENIED',
    `Permission denied: user '${p.subject}' may not access artifact path '${key}'; only administrators may use paths ` +
      `outside '<experiment_id>/...' and 'registry/<registered_model_id>/...'.`,
  );
}
