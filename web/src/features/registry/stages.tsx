import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorState } from '../../components/States';
import { api, ApiError } from '../../lib/api';
import type { ApiModelVersion } from '../../lib/mlflow';
import { atLeast, gate, type Level } from '../../lib/permissions';
import { useModelRefresh } from './refresh';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The level a move needs, as the service decides it (src/modules/registry/stages.ts): anything
 * touching Production, and Archived ↔ None, needs MANAGE_PRODUCTION; the rest MANAGE_STAGING.
 */
export function levelForTransition(from: Stage, to: Stage): Level {
  if (from === 'Production' || to === 'Production') return 'MANAGE_PRODUCTION';
  const archived = from === 'Archived' || to === 'Archived';
  const staging = from === 'Staging' || to === 'Staging';
  return archived && !staging ? 'MANAGE_PRODUCTION' : 'MANAGE_STAGING';
}

const asStage = (s: string | undefined): Stage => ((STAGES as readonly string[]).includes(s ?? '') ? (s as Stage) : 'None');

/** Move-to buttons for one version, each enabled only when the caller's level allows that move. */
export function StageButtons({ version, level, onPick }: { version: ApiModelVersion; level: Level | undefined; onPick: (stage: Stage) => void }) {
  const from = asStage(version.current_stage);
  // Below MANAGE_STAGING no move is possible at all: no controls, only the stage.
  if (level !== undefined && !atLeast(level, 'MANAGE_STAGING')) return null;
  return (
    <span className="actions">
      {STAGES.filter((s) => s !== from).map((s) => {
        const g = gate(level, levelForTransition(from, s), 'registered model');
        return (
          <button key={s} type="button" {...g} onClick={() => onPick(s)} aria-label={`Move version ${version.version} to ${s}`}>
            {s}
          </button>
        );
      })}
    </span>
  );
}

/** A direct move the approval policy refuses (403 "needs an approved transition request"): file a request instead. */
export const needsRequest = (e: unknown): boolean => e instanceof ApiError && e.status === 403 && /approved transition request/.test(e.message);

/**
 * The transition's confirmation, with archive_existing_versions shown and chosen explicitly. When the
 * policy refuses the direct move, the error points to the request form (`onRequestInstead`).
 */
export function ConfirmTransition({
  name,
  version,
  stage,
  onClose,
  onRequestInstead,
}: {
  name: string;
  version: string;
  stage: Stage;
  onClose: () => void;
  onRequestInstead?: (stage: Stage) => void;
}) {
  const canArchive = stage === 'Staging' || stage === 'Production';
  const [archive, setArchive] = useState(false);
  const refresh = useModelRefresh(name);
  const transition = useMutation({
    mutationFn: () => api.post('mlflow/model-versions/transition-stage', { name, version, stage, archive_existing_versions: canArchive && archive }),
    onSuccess: async () => {
      await refresh();
      onClose();
    },
  });
  return (
    <Dialog labelledBy="confirm-title" onClose={onClose}>
      <h2 id="confirm-title">
        Move version {version} of {name} to {stage}?
      </h2>
      {canArchive ? (
        <label className="check">
          <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} /> archive_existing_versions: move the other {stage} versions to Archived
        </label>
      ) : (
        <p>archive_existing_versions does not apply to {stage}.</p>
      )}
      <p className="dim">
        Request: transition-stage, stage={stage}, archive_existing_versions={String(canArchive && archive)}
      </p>
      {transition.isError && <ErrorState error={transition.error} />}
      {transition.isError && needsRequest(transition.error) && onRequestInstead && (
        <p>
          <button type="button" onClick={() => onRequestInstead(stage)}>
            Use the “Request a transition” form
          </button>
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => transition.mutate()} disabled={transition.isPending} data-autofocus>
          Confirm
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
