import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Description } from '../../components/Description';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { TagsEditor } from '../../components/TagsEditor';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import type { ApiModelVersion, ApiRegisteredModel } from '../../lib/mlflow';
import { atLeast, useEffectiveLevel } from '../../lib/permissions';
import { AuditTrail } from './AuditTrail';
import { ConfirmTransition, type Stage, StageButtons } from './stages';

export const versionPath = (name: string, version: string) => `/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;

/** `permissions`: the grants panel, composed by the app. */
export function ModelPage({ name, permissions }: { name: string; permissions?: ReactNode }) {
  const client = useQueryClient();
  const model = useQuery({ queryKey: ['model', name], queryFn: () => api.get<{ registered_model: ApiRegisteredModel }>('mlflow/registered-models/get', { name }) });
  const versions = useQuery({
    queryKey: ['versions', name],
    queryFn: () => api.get<{ model_versions?: ApiModelVersion[] }>('mlflow/model-versions/search', { filter: `name = '${name.replace(/'/g, "\\'")}'`, max_results: 1000 }),
  });
  const { level, isAdmin } = useEffectiveLevel({ modelName: name });
  const [pending, setPending] = useState<{ version: string; stage: Stage } | undefined>(undefined);
  if (model.isPending) return <Loading what="model" />;
  if (model.isError) return <ErrorState error={model.error} />;
  const m = model.data.registered_model;
  const list = [...(versions.data?.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));
  const canEdit = level !== undefined && atLeast(level, 'EDIT');
  return (
    <main>
      <p className="crumbs">
        <Link to="/models">Registered models</Link> /
      </p>
      <h1>{m.name}</h1>
      {level && (
        <p className="dim" data-testid="effective-level">
          Your permission on this model: {isAdmin ? 'administrator' : level}
        </p>
      )}
      <Description
        description={m.description}
        what="model"
        {...(canEdit
          ? {
              onSave: async (description: string) => {
                await api.patch('mlflow/registered-models/update', { name, description });
                await client.invalidateQueries({ queryKey: ['model', name] });
              },
            }
          : {})}
      />
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
            {list.map((v) => (
              <tr key={v.version} data-version={v.version}>
                <td>
                  <Link to={versionPath(name, v.version)}>v{v.version}</Link>
                </td>
                <td data-testid={`stage-${v.version}`}>{v.current_stage ?? 'None'}</td>
                <td>{(v.aliases ?? []).map((a) => `@${a}`).join(' ')}</td>
                <td>{v.run_id ? <Link to={`/runs/${encodeURIComponent(v.run_id)}`}>{v.run_id.slice(0, 12)}</Link> : (v.source ?? '')}</td>
                <td>{formatTime(v.creation_timestamp)}</td>
                <td>
                  <StageButtons version={v} level={level} onPick={(stage) => setPending({ version: v.version, stage })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <TagsEditor
        title="Model tags"
        tags={m.tags ?? []}
        {...(canEdit
          ? {
              onSet: async (key: string, value: string) => {
                await api.post('mlflow/registered-models/set-tag', { name, key, value });
                await client.invalidateQueries({ queryKey: ['model', name] });
              },
              onDelete: async (key: string) => {
                await api.delete('mlflow/registered-models/delete-tag', { name, key });
                await client.invalidateQueries({ queryKey: ['model', name] });
              },
            }
          : {})}
      />
      <AuditTrail name={name} />
      {permissions}
      {pending && <ConfirmTransition name={name} version={pending.version} stage={pending.stage} onClose={() => setPending(undefined)} />}
    </main>
  );
}
