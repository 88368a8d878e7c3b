import { invalidParameter, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService } from '../permissions/permissions.service';

export type ArtifactAction = 'read' | 'write' | 'delete';

/** What the artifact module needs from the experiments service (BRIEF.md cross-module contract). */
export interface ExperimentGate {
  requireExperiment(p: Principal, experimentId: string, level: Level): Promise<{ id: bigint }>;
}

/** What the artifact module needs from the runs service (BRIEF.md cross-module contract). */
export interface RunGate {
  requireRun(p: Principal, runId: string, level: Level): Promise<{ id: string; experimentId: bigint; artifactUri: string }>;
}

const LEVEL: Record<ArtifactAction, Level> = { read: 'READ', write: 'EDIT', delete: 'MANAGE' };

/**
 * Who may touch which key: the leading segment names the resource (store layout in
 * storage/artifact-store.ts).
 * - `<experiment_id>/...` → the experiment's permission (READ to read/list, EDIT to write, MANAGE
 *   to delete); a run id as second segment (`<exp>/<run>/artifacts/...`) must be a run of that
 *   experiment; `<exp>/models/<model_id>/...` (MLflow 3 logged models) needs the experiment only.
 * - `registry/<registered_model_id>/...` → that registered model's permission, same levels.
 * - anything else, the root included → administrators only.
 */
export class ArtifactAccess {
  constructor(
    private readonly experiments: ExperimentGate,
    private readonly runs: RunGate,
    private readonly permissions: PermissionsService,
  ) {}

  async authorize(p: Principal, key: string, action: ArtifactAction): Promise<void> {
    const [first, second] = key === '' ? [] : key.split('/');
    const level = LEVEL[action];
    if (first !== undefined && /^\d+$/.test(first)) {
      await this.experiments.requireExperiment(p, first, level);
      if (second !== undefined && second !== 'models') {
        const run = await this.runs.requireRun(p, second, level);
        if (String(run.experimentId) !== first) {
          throw invalidParameter(`Run '${second}' does not belong to experiment ${first}; its artifacts live under ${String(run.experimentId)}/${second}/.`);
        }
      }
      return;
    }
    if (first === 'registry' && second !== undefined && /^\d+$/.test(second)) {
      await this.permissions.require(p, 'registered_model', second, level, `id=${second}`);
      return;
    }
    if (p.isAdmin) return;
    throw new RegistryError(
      'PERMISSION_DENIED',
      `Permission denied: user '${p.subject}' may not access artifact path '${key}'; only administrators may use paths ` +
        `outside '<experiment_id>/...' and 'registry/<registered_model_id>/...'.`,
    );
  }
}
