import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Description } from '../../components/Description';
import { Link } from '../../components/Link';
import { ErrorState, Loading } from '../../components/States';
import { TagsEditor } from '../../components/TagsEditor';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import type { ApiModelVersion } from '../../lib/mlflow';
import { atLeast, gate, useEffectiveLevel } from '../../lib/permissions';
import { AuditTrail } from './AuditTrail';
import { ActivityFeed, Comments, Requests } from './Governance';
import { useModelRefresh } from './refresh';
import { Signature } from './Signature';
import { ConfirmTransition, type Stage, StageButtons } from './stages';

/** One version: source, run, stage and alias controls, requests, comments, tags, its activity and audit trail. */
export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const refresh = useModelRefresh(name);
  const mv = useQuery({
    queryKey: ['version', name, version],
    queryFn: () => api.get<{ model_version: ApiModelVersion & { tags?: { key: string; value: string }[] } }>('mlflow/model-versions/get', { name, version }),
  });
  const { level, isAdmin } = useEffectiveLevel({ modelName: name });
  const [pending, setPending] = useState<Stage | undefined>(undefined);
  // A direct move refused by the approval policy: the request form, preset to that stage.
  const [requestStage, setRequestStage] = useState<Stage | undefined>(undefined);
  if (mv.isPending) return <Loading what="model version" />;
  if (mv.isError) return <ErrorState error={mv.error} />;
  const v = mv.data.model_version;
  const canEdit = level !== undefined && atLeast(level, 'EDIT');
  return (
    <main>
      <p className="crumbs">
        <Link to="/models">Registered models</Link> / <Link to={`/models/${encodeURIComponent(name)}`}>{name}</Link> /
      </p>
      <h1>
        {name} v{v.version}{' '}
        <span className="badge" data-testid="version-stage">
          {v.current_stage ?? 'None'}
        </span>
      </h1>
      {level && (
        <p className="dim" data-testid="effective-level">
          Your permission on this model: {isAdmin ? 'administrator' : level}
        </p>
      )}
      <dl className="overview">
        <dt>Source</dt>
        <dd>{v.source}</dd>
        <dt>Run</dt>
        <dd>{v.run_id ? <Link to={`/runs/${encodeURIComponent(v.run_id)}`}>{v.run_id}</Link> : '—'}</dd>
        <dt>Status</dt>
        <dd>{v.status}</dd>
        <dt>Created</dt>
        <dd>{formatTime(v.creation_timestamp)}</dd>
        {v.user_id && (
          <>
            <dt>By</dt>
            <dd>{v.user_id}</dd>
          </>
        )}
      </dl>
      <Description
        description={v.description}
        what="version"
        {...(canEdit
          ? {
              onSave: async (description: string) => {
                await api.patch('mlflow/model-versions/update', { name, version, description });
                await refresh();
              },
            }
          : {})}
      />
      <Signature source={v.source} />
      <section aria-labelledby="stage">
        <h2 id="stage">Stage</h2>
        <p>
          Current stage: <strong>{v.current_stage ?? 'None'}</strong>
        </p>
        <StageButtons version={v} level={level} onPick={setPending} />
      </section>
      <Requests key={requestStage ?? ''} name={name} version={v.version} level={level} initialStage={requestStage} />
      <Aliases name={name} version={v.version} aliases={v.aliases ?? []} level={level} onChange={refresh} />
      <TagsEditor
        title="Version tags"
        tags={v.tags ?? []}
        {...(canEdit
          ? {
              onSet: async (key: string, value: string) => {
                await api.post('mlflow/model-versions/set-tag', { name, version, key, value });
                await refresh();
              },
              onDelete: async (key: string) => {
                await api.delete('mlflow/model-versions/delete-tag', { name, version, key });
                await refresh();
              },
            }
          : {})}
      />
      <Comments name={name} version={v.version} />
      <ActivityFeed name={name} version={v.version} />
      <AuditTrail name={name} version={v.version} />
      {pending && (
        <ConfirmTransition
          name={name}
          version={v.version}
          stage={pending}
          onClose={() => setPending(undefined)}
          onRequestInstead={(s) => {
            setPending(undefined);
            setRequestStage(s);
            requestAnimationFrame(() => document.getElementById('request-comment')?.focus());
          }}
        />
      )}
    </main>
  );
}

function Aliases({
  name,
  version,
  aliases,
  level,
  onChange,
}: {
  name: string;
  version: string;
  aliases: string[];
  level: ReturnType<typeof useEffectiveLevel>['level'];
  onChange: () => Promise<void>;
}) {
  const [alias, setAlias] = useState('');
  const manage = gate(level, 'MANAGE_STAGING', 'registered model');
  const set = useMutation({
    mutationFn: (a: string) => api.post('mlflow/registered-models/alias', { name, alias: a, version }),
    onSuccess: async () => {
      setAlias('');
      await onChange();
    },
  });
  const remove = useMutation({ mutationFn: (a: string) => api.delete('mlflow/registered-models/alias', { name, alias: a }), onSuccess: onChange });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (alias.trim()) set.mutate(alias.trim());
  };
  const editable = level === undefined || atLeast(level, 'MANAGE_STAGING');
  return (
    <section aria-labelledby="aliases">
      <h2 id="aliases">Aliases</h2>
      {aliases.length === 0 ? (
        <p className="state">No alias points at this version.</p>
      ) : (
        <ul className="alias-list" aria-label="Aliases of this version">
          {aliases.map((a) => (
            <li key={a}>
              <span className="badge">@{a}</span>
              {editable && (
                <button type="button" className="small" aria-label={`Delete alias ${a}`} disabled={remove.isPending} onClick={() => remove.mutate(a)}>
                  Delete
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {editable ? (
        <form className="inline" onSubmit={onSubmit}>
          <label htmlFor="alias-name">New alias</label>
          <input id="alias-name" value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="champion" />
          <button type="submit" {...manage} disabled={manage.disabled || set.isPending || !alias.trim()}>
            Set alias
          </button>
          <span className="dim">Protected aliases need MANAGE_PRODUCTION.</span>
        </form>
      ) : (
        <p className="dim">Setting aliases needs MANAGE_STAGING on this model.</p>
      )}
      {set.isError && <ErrorState error={set.error} />}
      {remove.isError && <ErrorState error={remove.error} />}
    </section>
  );
}
