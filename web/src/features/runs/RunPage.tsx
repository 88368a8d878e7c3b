import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useMemo } from 'react';
import { type ChartOptions, LineChart } from '../../components/LineChart';
import { Link } from '../../components/Link';
import { ErrorState, Loading } from '../../components/States';
import { TagsEditor } from '../../components/TagsEditor';
import { api } from '../../lib/api';
import { formatDuration, formatNumber, formatTime } from '../../lib/format';
import type { ApiKeyValue, ApiMetric, ApiRun } from '../../lib/mlflow';
import { atLeast, useEffectiveLevel } from '../../lib/permissions';
import { setQuery, useLocation } from '../../lib/router';
import { ArtifactsBrowser } from './ArtifactsBrowser';
import { PARENT_TAG } from './nesting';

type XAxis = 'step' | 'time' | 'relative';
const X_LABELS: Record<XAxis, string> = { step: 'step', time: 'time', relative: 'relative time (s)' };

/** `register`: the app's "register a model from this run" control, given the run. */
export function RunPage({ runId, register }: { runId: string; register?: (run: ApiRun) => ReactNode }) {
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => api.get<{ run: ApiRun }>('mlflow/runs/get', { run_id: runId }) });
  const experimentId = run.data?.run.info.experiment_id;
  const { level } = useEffectiveLevel(experimentId === undefined ? undefined : { experimentId });
  const client = useQueryClient();
  const { query } = useLocation();
  const xAxis: XAxis = query.get('x') === 'time' || query.get('x') === 'relative' ? (query.get('x') as XAxis) : 'step';
  const logY = query.get('log') === '1';
  const smoothing = Math.min(0.99, Math.max(0, Number(query.get('smooth') ?? 0) || 0));
  if (run.isPending) return <Loading what="run" />;
  if (run.isError) return <ErrorState error={run.error} />;
  const { info, data } = run.data.run;
  const tags = (data.tags ?? []).filter((t) => !t.key.startsWith('mlflow.'));
  const parent = data.tags?.find((t) => t.key === PARENT_TAG)?.value;
  const canEdit = level !== undefined && atLeast(level, 'EDIT');
  const refresh = () => client.invalidateQueries({ queryKey: ['run', runId] });
  const source = data.tags?.find((t) => t.key === 'mlflow.source.name')?.value;
  const metrics = [...(data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <main>
      <p className="crumbs">
        <Link to="/">Experiments</Link> / <Link to={`/experiments/${encodeURIComponent(info.experiment_id)}`}>Experiment {info.experiment_id}</Link> /
      </p>
      <h1>
        {info.run_name ?? info.run_id}
        {info.lifecycle_stage === 'deleted' && <span className="badge">deleted</span>}
      </h1>
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
          {parent && (
            <>
              <dt>Parent run</dt>
              <dd>
                <Link to={`/runs/${encodeURIComponent(parent)}`}>{parent}</Link>
              </dd>
            </>
          )}
          <dt>Artifacts</dt>
          <dd>{info.artifact_uri}</dd>
          {level && (
            <>
              <dt>Your permission</dt>
              <dd>{level}</dd>
            </>
          )}
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
        <TagsEditor
          tags={tags}
          readOnlyReason={level && !canEdit ? 'Editing tags needs EDIT on this experiment.' : undefined}
          {...(canEdit
            ? {
                onSet: async (key: string, value: string) => {
                  await api.post('mlflow/runs/set-tag', { run_id: runId, key, value });
                  await refresh();
                },
                onDelete: async (key: string) => {
                  await api.post('mlflow/runs/delete-tag', { run_id: runId, key });
                  await refresh();
                },
              }
            : {})}
        />
      </div>
      {metrics.length > 0 && (
        <section aria-labelledby="charts">
          <h2 id="charts">Charts</h2>
          <div className="inline chart-options" role="group" aria-label="Chart options">
            <label htmlFor="chart-x">X axis</label>
            <select id="chart-x" value={xAxis} onChange={(e) => setQuery({ x: e.target.value === 'step' ? undefined : e.target.value })}>
              <option value="step">Step</option>
              <option value="time">Time</option>
              <option value="relative">Relative time</option>
            </select>
            <label className="check inline-check">
              <input type="checkbox" checked={logY} onChange={(e) => setQuery({ log: e.target.checked ? '1' : undefined })} /> Log scale
            </label>
            <label htmlFor="chart-smooth">Smoothing</label>
            <input
              id="chart-smooth"
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => setQuery({ smooth: Number(e.target.value) > 0 ? e.target.value : undefined })}
            />
            <output htmlFor="chart-smooth">{smoothing.toFixed(2)}</output>
          </div>
          <div className="charts">
            {metrics.map((m) => (
              <MetricHistory
                key={m.key}
                runId={runId}
                metricKey={m.key}
                xAxis={xAxis}
                startTime={Number(info.start_time ?? 0)}
                smoothing={smoothing}
                options={{ logY, xTime: xAxis === 'time' }}
              />
            ))}
          </div>
        </section>
      )}
      <ArtifactsBrowser runId={runId} artifactUri={info.artifact_uri} />
      {register?.(run.data.run)}
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

/** Exponential moving average, debiased (as TensorBoard's smoothing slider). */
export function smooth(values: number[], weight: number): number[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

interface HistoryProps {
  runId: string;
  metricKey: string;
  xAxis: XAxis;
  startTime: number;
  smoothing: number;
  options: ChartOptions;
}

/** Down-sampled by the server (get-history-bulk-interval), so long histories stay fast. */
function MetricHistory({ runId, metricKey, xAxis, startTime, smoothing, options }: HistoryProps) {
  const history = useQuery({
    queryKey: ['history', runId, metricKey],
    queryFn: () => api.get<{ metrics?: ApiMetric[] }>('mlflow/metrics/get-history-bulk-interval', { run_ids: [runId], metric_key: metricKey, max_results: 2500 }),
  });
  const series = useMemo(() => {
    const xOf = (p: ApiMetric) => (xAxis === 'step' ? Number(p.step) : xAxis === 'time' ? Number(p.timestamp) / 1000 : (Number(p.timestamp) - startTime) / 1000);
    const points = [...(history.data?.metrics ?? [])].sort((a, b) => xOf(a) - xOf(b) || Number(a.step) - Number(b.step));
    const y = points.map((p) => p.value);
    const out = [{ label: metricKey, x: points.map(xOf), y }];
    if (smoothing > 0) out.push({ label: `${metricKey} (smoothed)`, x: out[0]!.x, y: smooth(y, smoothing) });
    return out;
  }, [history.data, metricKey, xAxis, startTime, smoothing]);
  if (history.isPending) return <div className="chart placeholder">Loading {metricKey}…</div>;
  if (history.isError) return <ErrorState error={history.error} />;
  return <LineChart title={metricKey} series={series} xLabel={X_LABELS[xAxis]} options={options} />;
}
