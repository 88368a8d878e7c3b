import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import type { ApiExperiment } from '../../lib/mlflow';
import { gate, useEffectiveLevel } from '../../lib/permissions';
import { navigate, setQuery, useLocation } from '../../lib/router';

interface SearchExperimentsResponse {
  experiments?: ApiExperiment[];
  next_page_token?: string;
}

export function ExperimentsPage() {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const deletedView = query.get('view') === 'deleted';
  const [draft, setDraft] = useState(filter);
  const experiments = useQuery({
    queryKey: ['experiments', filter, deletedView],
    queryFn: () =>
      api.post<SearchExperimentsResponse>('mlflow/experiments/search', {
        max_results: 1000,
        ...(filter ? { filter } : {}),
        order_by: ['name ASC'],
        view_type: deletedView ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
      }),
  });
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ filter: draft.trim() });
  };
  const list = experiments.data?.experiments ?? [];
  return (
    <main>
      <div className="page-head">
        <h1>Experiments</h1>
        <CreateExperiment />
      </div>
      <form className="filter" onSubmit={onSearch} role="search">
        <label htmlFor="experiment-filter">Filter</label>
        <input id="experiment-filter" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="name LIKE '%fraud%' and tags.team = 'risk'" />
        <button type="submit">Search</button>
        <label className="check inline-check">
          <input type="checkbox" checked={deletedView} onChange={(e) => setQuery({ view: e.target.checked ? 'deleted' : undefined })} /> Deleted experiments
        </label>
      </form>
      {experiments.isPending ? (
        <Loading what="experiments" />
      ) : experiments.isError ? (
        <ErrorState error={experiments.error} />
      ) : list.length === 0 ? (
        <Empty>
          {filter ? 'No experiment matches this filter.' : deletedView ? 'No deleted experiments.' : 'No experiments yet: create one above, or log a run with the MLflow client.'}
        </Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Created</th>
              <th scope="col">Last update</th>
              {deletedView && <th scope="col">Restore</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((x) => (
              <tr key={x.experiment_id}>
                <td>
                  <Link to={`/experiments/${encodeURIComponent(x.experiment_id)}`}>{x.name}</Link>
                </td>
                <td>{x.experiment_id}</td>
                <td>{formatTime(x.creation_time)}</td>
                <td>{formatTime(x.last_update_time)}</td>
                {deletedView && (
                  <td>
                    <RestoreExperiment experiment={x} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function CreateExperiment() {
  const [name, setName] = useState('');
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (n: string) => api.post<{ experiment_id: string }>('mlflow/experiments/create', { name: n }),
    onSuccess: async ({ experiment_id }) => {
      await client.invalidateQueries({ queryKey: ['experiments'] });
      navigate(`/experiments/${encodeURIComponent(experiment_id)}`);
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  return (
    <form className="inline" onSubmit={onSubmit}>
      <label htmlFor="new-experiment">New experiment</label>
      <input id="new-experiment" value={name} onChange={(e) => setName(e.target.value)} placeholder="name" />
      <button type="submit" disabled={create.isPending}>
        Create
      </button>
      {create.isError && <ErrorState error={create.error} />}
    </form>
  );
}

function RestoreExperiment({ experiment }: { experiment: ApiExperiment }) {
  const client = useQueryClient();
  const { level } = useEffectiveLevel({ experimentId: experiment.experiment_id });
  const manage = gate(level, 'MANAGE', 'experiment');
  const restore = useMutation({
    mutationFn: () => api.post('mlflow/experiments/restore', { experiment_id: experiment.experiment_id }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['experiments'] }),
  });
  return (
    <>
      <button type="button" {...manage} disabled={manage.disabled || restore.isPending} aria-label={`Restore ${experiment.name}`} onClick={() => restore.mutate()}>
        Restore
      </button>
      {restore.isError && <ErrorState error={restore.error} />}
    </>
  );
}
