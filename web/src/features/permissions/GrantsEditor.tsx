import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { atLeast, EXPERIMENT_LEVELS, MODEL_LEVELS, type Resource, useEffectiveLevel } from '../../lib/permissions';

interface Grant {
  user_id?: string;
  group?: string;
  permission: string;
}

/**
 * Who has access to an experiment or a registered model, editable by those with MANAGE (the
 * permissions endpoints need MANAGE for listing and changing grants). Others see nothing here:
 * their own level shows on the page.
 */
export function GrantsEditor({ resource }: { resource: Resource }) {
  const { level } = useEffectiveLevel(resource);
  if (level === undefined || !atLeast(level, 'MANAGE')) return null;
  return <Grants resource={resource} />;
}

function Grants({ resource }: { resource: Resource }) {
  const client = useQueryClient();
  const isExperiment = 'experimentId' in resource;
  const base = isExperiment ? 'mlflow/experiments/permissions' : 'mlflow/registered-models/permissions';
  const ref = isExperiment ? { experiment_id: resource.experimentId } : { name: resource.modelName };
  const levels = isExperiment ? EXPERIMENT_LEVELS : MODEL_LEVELS;
  const grants = useQuery({ queryKey: ['grants', ref], queryFn: () => api.get<{ permissions?: Grant[] }>(`${base}/list`, ref) });
  const refresh = () => client.invalidateQueries({ queryKey: ['grants', ref] });
  const who = (g: Grant) => (g.user_id !== undefined ? { username: g.user_id } : { group: g.group! });
  const update = useMutation({ mutationFn: (x: { g: Grant; permission: string }) => api.patch(`${base}/update`, { ...ref, ...who(x.g), permission: x.permission }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (g: Grant) => api.delete(`${base}/delete`, { ...ref, ...who(g) }), onSuccess: refresh });
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [principal, setPrincipal] = useState('');
  const [permission, setPermission] = useState<string>('READ');
  const create = useMutation({
    mutationFn: () => api.post(`${base}/create`, { ...ref, ...(kind === 'user' ? { username: principal.trim() } : { group: principal.trim() }), permission }),
    onSuccess: async () => {
      setPrincipal('');
      await refresh();
    },
  });
  const onAdd = (e: FormEvent) => {
    e.preventDefault();
    if (principal.trim()) create.mutate();
  };
  const list = [...(grants.data?.permissions ?? [])].sort((a, b) => (a.group ?? a.user_id ?? '').localeCompare(b.group ?? b.user_id ?? ''));
  return (
    <section aria-labelledby="grants">
      <h2 id="grants">Permissions</h2>
      {grants.isPending ? (
        <Loading what="grants" />
      ) : grants.isError ? (
        <ErrorState error={grants.error} />
      ) : list.length === 0 ? (
        <Empty>No grants: only administrators have access.</Empty>
      ) : (
        <table className="grid" aria-label="Grants">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">Level</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {list.map((g) => {
              const name = g.user_id !== undefined ? `user ${g.user_id}` : `group ${g.group}`;
              return (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>
                    <select aria-label={`Level of ${name}`} value={g.permission} disabled={update.isPending} onChange={(e) => update.mutate({ g, permission: e.target.value })}>
                      {levels.map((l) => (
                        <option key={l} value={l}>
                          {l}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <button type="button" className="small" aria-label={`Remove the grant of ${name}`} disabled={remove.isPending} onClick={() => remove.mutate(g)}>
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form className="inline" onSubmit={onAdd} aria-label="Add a grant">
        <label htmlFor="grant-kind">Grant to</label>
        <select id="grant-kind" value={kind} onChange={(e) => setKind(e.target.value === 'group' ? 'group' : 'user')}>
          <option value="user">user</option>
          <option value="group">group</option>
        </select>
        <label htmlFor="grant-principal">User or group name</label>
        <input id="grant-principal" value={principal} onChange={(e) => setPrincipal(e.target.value)} />
        <label htmlFor="grant-level">Level</label>
        <select id="grant-level" value={permission} onChange={(e) => setPermission(e.target.value)}>
          {levels.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <button type="submit" disabled={create.isPending || !principal.trim()}>
          Add grant
        </button>
      </form>
      {[update, remove, create].map((m, i) => m.isError && <ErrorState key={i} error={m.error} />)}
    </section>
  );
}
