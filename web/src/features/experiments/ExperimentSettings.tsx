import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { ErrorState } from '../../components/States';
import { TagsEditor } from '../../components/TagsEditor';
import { api } from '../../lib/api';
import type { ApiExperiment } from '../../lib/mlflow';
import { atLeast, gate, useEffectiveLevel } from '../../lib/permissions';

/** An experiment's own controls on its runs page: rename, tags, delete or restore; `children`: more (the grants). */
export function ExperimentSettings({ experimentId, children }: { experimentId: string; children?: ReactNode }) {
  const client = useQueryClient();
  const { level } = useEffectiveLevel({ experimentId });
  const experiment = useQuery({
    queryKey: ['experiment', experimentId],
    queryFn: () => api.get<{ experiment: ApiExperiment }>('mlflow/experiments/get', { experiment_id: experimentId }),
  });
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['experiment', experimentId] });
    await client.invalidateQueries({ queryKey: ['experiments'] });
  };
  const [name, setName] = useState<string | undefined>(undefined);
  const rename = useMutation({
    mutationFn: (n: string) => api.post('mlflow/experiments/update', { experiment_id: experimentId, new_name: n }),
    onSuccess: async () => {
      setName(undefined);
      await refresh();
    },
  });
  const lifecycle = useMutation({
    mutationFn: (action: 'delete' | 'restore') => api.post(`mlflow/experiments/${action}`, { experiment_id: experimentId }),
    onSuccess: refresh,
  });
  const exp = experiment.data?.experiment;
  if (!exp) return null;
  const canEdit = atLeast(level, 'EDIT');
  const manage = gate(level, 'MANAGE', 'experiment');
  const deleted = exp.lifecycle_stage === 'deleted';
  const tags = (exp.tags ?? []).filter((t) => !t.key.startsWith('mlflow.'));
  const onRename = (e: FormEvent) => {
    e.preventDefault();
    if (name?.trim()) rename.mutate(name.trim());
  };
  return (
    <details className="settings">
      <summary>Experiment settings{tags.length > 0 ? ` · ${tags.length} tag${tags.length === 1 ? '' : 's'}` : ''}</summary>
      <div className="settings-body">
        {canEdit && (
          <form className="inline" onSubmit={onRename}>
            <label htmlFor="experiment-name">Experiment name</label>
            <input id="experiment-name" value={name ?? exp.name} onChange={(e) => setName(e.target.value)} />
            <button type="submit" disabled={rename.isPending || !name?.trim() || name.trim() === exp.name}>
              Rename
            </button>
            {rename.isError && <ErrorState error={rename.error} />}
          </form>
        )}
        <TagsEditor
          title="Experiment tags"
          tags={tags}
          readOnlyReason={canEdit ? undefined : 'Editing tags needs EDIT on this experiment.'}
          {...(canEdit
            ? {
                onSet: async (key: string, value: string) => {
                  await api.post('mlflow/experiments/set-experiment-tag', { experiment_id: experimentId, key, value });
                  await refresh();
                },
                onDelete: async (key: string) => {
                  await api.post('mlflow/experiments/delete-experiment-tag', { experiment_id: experimentId, key });
                  await refresh();
                },
              }
            : {})}
        />
        {canEdit && (
          <p className="actions">
            <button
              type="button"
              className={deleted ? undefined : 'danger'}
              {...manage}
              disabled={manage.disabled || lifecycle.isPending}
              onClick={() => lifecycle.mutate(deleted ? 'restore' : 'delete')}
            >
              {deleted ? 'Restore experiment' : 'Delete experiment'}
            </button>
            {lifecycle.isError && <ErrorState error={lifecycle.error} />}
          </p>
        )}
        {children}
      </div>
    </details>
  );
}
