import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { LineChart } from '../../components/LineChart';
import { Link } from '../../components/Link';
import { ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatDuration, formatNumber, formatTime } from '../../lib/format';
import type { ApiKeyValue, ApiMetric, ApiRun } from '../../lib/mlflow';

export function RunPage({ runId }: { runId: string }) {
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => api.get<{ run: ApiRun }>('mlflow/runs/get', { run_id: runId }) });
  if (run.isPending) return <Loading what="run" />;
  if (run.isError) return <ErrorState error={run.error} />;
  const { info, data } = run.data.run;
  const tags = (data.tags ?? []).filter((t) => !t.key.startsWith('mlflow.'));
  const source = data.tags?.find((t) => t.key === 'mlflow.source.name')?.value;
  const metrics = [...(data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <main>
      <p className="crumbs">
        <Link to="/">Experiments</Link> / <Link to={`/experiments/${encodeURIComponent(info.experiment_id)}`}>Experiment {info.experiment_id}</Link> /
      </p>
      <h1>{info.run_name ?? info.run_id}</h1>
      <section aria-labelledby="overview">
        <h2 id="overview">Overview</h2>
        <dl className="overview">
          <dt>Run ID</dt>
          <dd>{info.run_id}</dd>
          <dt>Status</dt>
          <dd>{info.status}</dd>
          <dt>User</dt>
          <dd>{info.user_id}</dd>
          <dt>Start</dt>
          <dd>{formatTime(info.start_time)}</dd>
          <dt>End</dt>
          <dd>{formatTime(info.end_time)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(info.start_time, info.end_time)}</dd>
          {source && (
            <>
              <dt>Source</dt>
              <dd>{source}</dd>
            </>
          )}
          <dt>Artifacts</dt>
          <dd>{info.artifact_uri}</dd>
        </dl>
      </section>
      <div className="columns">
        <KeyValues title="Parameters" rows={data.params ?? []} />
        <section aria-labelledby="metrics">
          <h2 id="metrics">Metrics (latest)</h2>
          {metrics.length === 0 ? (
            <p className="state">No metrics logged.</p>
          ) : (
            <table className="grid">
              <tbody>
                {metrics.map((m) => (
                  <tr key={m.key}>
                    <th scope="row">{m.key}</th>
                    <td>{formatNumber(m.value)}</td>
                    <td className="dim">step {m.step}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <KeyValues title="Tags" rows={tags} />
      </div>
      {metrics.length > 0 && (
        <section aria-labelledby="charts">
          <h2 id="charts">Charts</h2>
          <div className="charts">
            {metrics.map((m) => (
              <MetricHistory key={m.key} runId={runId} metricKey={m.key} />
            ))}
          </div>
        </section>
      )}
    </main>
  );
}

function KeyValues({ title, rows }: { title: string; rows: ApiKeyValue[] }) {
  const id = title.toLowerCase();
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.length === 0 ? (
        <p className="state">None.</p>
      ) : (
        <table className="grid">
          <tbody>
            {[...rows]
              .sort((a, b) => a.key.localeCompare(b.key))
              .map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.key}</th>
                  <td>{r.value}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Down-sampled by the server (get-history-bulk-interval), so long histories stay fast. */
function MetricHistory({ runId, metricKey }: { runId: string; metricKey: string }) {
  const history = useQuery({
    queryKey: ['history', runId, metricKey],
    queryFn: () => api.get<{ metrics?: ApiMetric[] }>('mlflow/metrics/get-history-bulk-interval', { run_ids: [runId], metric_key: metricKey, max_results: 2500 }),
  });
  const series = useMemo(() => {
    const points = [...(history.data?.metrics ?? [])].sort((a, b) => Number(a.step) - Number(b.step));
    return [{ label: metricKey, x: points.map((p) => Number(p.step)), y: points.map((p) => p.value) }];
  }, [history.data, metricKey]);
  if (history.isPending) return <div className="chart placeholder">Loading {metricKey}…</div>;
  if (history.isError) return <ErrorState error={history.error} />;
  return <LineChart title={metricKey} series={series} />;
}
