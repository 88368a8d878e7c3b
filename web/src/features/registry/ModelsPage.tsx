import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import type { ApiRegisteredModel } from '../../lib/mlflow';
import { setQuery, useLocation } from '../../lib/router';

export function ModelsPage() {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const [draft, setDraft] = useState(filter);
  const models = useQuery({
    queryKey: ['models', filter],
    queryFn: () => api.get<{ registered_models?: ApiRegisteredModel[] }>('mlflow/registered-models/search', { max_results: 1000, ...(filter ? { filter } : {}) }),
  });
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ filter: draft.trim() });
  };
  const list = models.data?.registered_models ?? [];
  return (
    <main>
      <h1>Registered models</h1>
      <form className="filter" onSubmit={onSearch} role="search">
        <label htmlFor="model-filter">Filter</label>
        <input id="model-filter" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="name LIKE '%churn%'" />
        <button type="submit">Search</button>
      </form>
      {models.isPending ? (
        <Loading what="models" />
      ) : models.isError ? (
        <ErrorState error={models.error} />
      ) : list.length === 0 ? (
        <Empty>{filter ? 'No registered model matches this filter.' : 'No registered models yet: register one from a run with mlflow.register_model().'}</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Latest versions</th>
              <th scope="col">Last update</th>
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <tr key={m.name}>
                <td>
                  <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                </td>
                <td>{(m.latest_versions ?? []).map((v) => `v${v.version} (${v.current_stage ?? 'None'})`).join(', ')}</td>
                <td>{formatTime(m.last_updated_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
