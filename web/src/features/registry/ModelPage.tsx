import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import type { ApiModelVersion, ApiRegisteredModel } from '../../lib/mlflow';

const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
type Stage = (typeof STAGES)[number];

export function ModelPage({ name }: { name: string }) {
  const model = useQuery({ queryKey: ['model', name], queryFn: () => api.get<{ registered_model: ApiRegisteredModel }>('mlflow/registered-models/get', { name }) });
  const versions = useQuery({
    queryKey: ['versions', name],
    queryFn: () => api.get<{ model_versions?: ApiModelVersion[] }>('mlflow/model-versions/search', { filter: `name = '${name.replace(/'/g, "\\'")}'`, max_results: 1000 }),
  });
  const [pending, setPending] = useState<{ version: string; stage: Stage } | undefined>(undefined);
  if (model.isPending) return <Loading what="model" />;
  if (model.isError) return <ErrorState error={model.error} />;
  const m = model.data.registered_model;
  const list = [...(versions.data?.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));
  return (
    <main>
      <p className="crumbs">
        <Link to="/models">Registered models</Link> /
      </p>
      <h1>{m.name}</h1>
      {m.description && <p className="description">{m.description}</p>}
      {(m.aliases ?? []).length > 0 && (
        <p>
          Aliases:{' '}
          {(m.aliases ?? []).map((a) => (
            <span key={a.alias} className="badge">
              @{a.alias} → v{a.version}
            </span>
          ))}
        </p>
      )}
      <h2>Versions</h2>
      {versions.isPending ? (
        <Loading what="versions" />
      ) : versions.isError ? (
        <ErrorState error={versions.error} />
      ) : list.length === 0 ? (
        <Empty>No versions yet: register one from a run&apos;s model folder.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Stage</th>
              <th scope="col">Aliases</th>
              <th scope="col">Source run</th>
              <th scope="col">Created</th>
              <th scope="col">Move to</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => {
              const stage = v.current_stage ?? 'None';
              return (
                <tr key={v.version} data-version={v.version}>
                  <td>v{v.version}</td>
                  <td data-testid={`stage-${v.version}`}>{stage}</td>
                  <td>{(v.aliases ?? []).map((a) => `@${a}`).join(' ')}</td>
                  <td>{v.run_id ? <Link to={`/runs/${encodeURIComponent(v.run_id)}`}>{v.run_id.slice(0, 12)}</Link> : (v.source ?? '')}</td>
                  <td>{formatTime(v.creation_timestamp)}</td>
                  <td className="actions">
                    {STAGES.filter((s) => s !== stage).map((s) => (
                      <button key={s} type="button" onClick={() => setPending({ version: v.version, stage: s })} aria-label={`Move version ${v.version} to ${s}`}>
                        {s}
                      </button>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {pending && <ConfirmTransition name={name} version={pending.version} stage={pending.stage} onClose={() => setPending(undefined)} />}
    </main>
  );
}

function ConfirmTransition({ name, version, stage, onClose }: { name: string; version: string; stage: Stage; onClose: () => void }) {
  const canArchive = stage === 'Staging' || stage === 'Production';
  const [archive, setArchive] = useState(false);
  const client = useQueryClient();
  const transition = useMutation({
    mutationFn: () => api.post('mlflow/model-versions/transition-stage', { name, version, stage, archive_existing_versions: canArchive && archive }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['versions', name] });
      await client.invalidateQueries({ queryKey: ['model', name] });
      onClose();
    },
  });
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
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
      <div className="actions">
        <button type="button" className="primary" onClick={() => transition.mutate()} disabled={transition.isPending} autoFocus>
          Confirm
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
