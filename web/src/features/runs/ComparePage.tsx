import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { COLORS, LineChart, type Series } from '../../components/LineChart';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatNumber } from '../../lib/format';
import type { ApiMetric, ApiRun } from '../../lib/mlflow';
import { setQuery, useLocation } from '../../lib/router';

export const MAX_COMPARE = 50;

const runLabel = (r: ApiRun) => r.info.run_name ?? r.info.run_id.slice(0, 8);

/** Compare 2–50 runs: params side by side (differences marked), metrics, overlaid charts, a scatter. */
export function ComparePage() {
  const { query } = useLocation();
  const ids = useMemo(() => [...new Set((query.get('runs') ?? '').split(',').filter(Boolean))].slice(0, MAX_COMPARE), [query]);
  const results = useQueries({
    queries: ids.map((id) => ({ queryKey: ['run', id], queryFn: () => api.get<{ run: ApiRun }>('mlflow/runs/get', { run_id: id }) })),
  });
  if (ids.length < 2) return <Empty>Select between 2 and {MAX_COMPARE} runs in a runs table, then press Compare.</Empty>;
  const failed = results.find((r) => r.isError);
  if (failed) return <ErrorState error={failed.error} />;
  if (results.some((r) => r.isPending)) return <Loading what={`${ids.length} runs`} />;
  const runs = results.map((r) => r.data!.run);
  return <Comparison runs={runs} xKey={query.get('x') ?? ''} yKey={query.get('y') ?? ''} />;
}

function Comparison({ runs, xKey, yKey }: { runs: ApiRun[]; xKey: string; yKey: string }) {
  const experimentId = runs[0]!.info.experiment_id;
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const param = (r: ApiRun, k: string) => r.data.params?.find((p) => p.key === k)?.value;
  const metric = (r: ApiRun, k: string) => r.data.metrics?.find((m) => m.key === k)?.value;
  const axes = [...paramKeys.map((k) => `p:${k}`), ...metricKeys.map((k) => `m:${k}`)];
  const x = axes.includes(xKey) ? xKey : (axes.find((a) => a.startsWith('p:')) ?? axes[0] ?? '');
  const y = axes.includes(yKey) ? yKey : (axes.find((a) => a.startsWith('m:')) ?? axes[1] ?? '');
  return (
    <main>
      <p className="crumbs">
        <Link to="/">Experiments</Link> / <Link to={`/experiments/${encodeURIComponent(experimentId)}`}>Experiment {experimentId}</Link> /
      </p>
      <h1>Comparing {runs.length} runs</h1>
      <section aria-labelledby="cmp-params">
        <h2 id="cmp-params">Parameters</h2>
        <p className="dim">Rows whose values differ between the runs are marked “differs”.</p>
        <div className="scroll-x">
          <table className="grid compare" aria-label="Parameters">
            <thead>
              <tr>
                <th scope="col">Parameter</th>
                {runs.map((r, i) => (
                  <th scope="col" key={r.info.run_id}>
                    <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
                    <Link to={`/runs/${encodeURIComponent(r.info.run_id)}`}>{runLabel(r)}</Link>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {paramKeys.map((k) => {
                const values = runs.map((r) => param(r, k));
                const differs = new Set(values).size > 1;
                return (
                  <tr key={k} className={differs ? 'differs' : undefined} data-differs={differs}>
                    <th scope="row">
                      {k}
                      {differs && <span className="badge">differs</span>}
                    </th>
                    {values.map((v, i) => (
                      <td key={runs[i]!.info.run_id}>{v ?? <span className="dim">—</span>}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="cmp-metrics">
        <h2 id="cmp-metrics">Metrics (latest)</h2>
        <div className="scroll-x">
          <table className="grid compare" aria-label="Metrics">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                {runs.map((r) => (
                  <th scope="col" key={r.info.run_id}>
                    {runLabel(r)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {metricKeys.map((k) => {
                const values = runs.map((r) => metric(r, k));
                const defined = values.filter((v): v is number => v !== undefined);
                const best = defined.length > 1 ? Math.min(...defined) : undefined;
                return (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    {values.map((v, i) => (
                      <td key={runs[i]!.info.run_id} className={v !== undefined && v === best ? 'lowest' : undefined} title={v !== undefined && v === best ? 'lowest' : undefined}>
                        {v === undefined ? <span className="dim">—</span> : formatNumber(v)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      {metricKeys.length > 0 && (
        <section aria-labelledby="cmp-charts">
          <h2 id="cmp-charts">Charts</h2>
          <div className="charts">
            {metricKeys.map((k) => (
              <OverlaidHistory key={k} runs={runs} metricKey={k} />
            ))}
          </div>
        </section>
      )}
      {axes.length >= 2 && (
        <section aria-labelledby="cmp-scatter">
          <h2 id="cmp-scatter">Scatter</h2>
          <div className="inline">
            <AxisSelect id="scatter-x" label="X axis" value={x} options={axes} onChange={(v) => setQuery({ x: v })} />
            <AxisSelect id="scatter-y" label="Y axis" value={y} options={axes} onChange={(v) => setQuery({ y: v })} />
          </div>
          <Scatter runs={runs} x={x} y={y} value={(r, a) => (a.startsWith('p:') ? param(r, a.slice(2)) : metric(r, a.slice(2)))} />
        </section>
      )}
    </main>
  );
}

const axisLabel = (a: string) => (a.startsWith('p:') ? `param ${a.slice(2)}` : `metric ${a.slice(2)}`);

function AxisSelect({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {axisLabel(o)}
          </option>
        ))}
      </select>
    </>
  );
}

function Scatter({ runs, x, y, value }: { runs: ApiRun[]; x: string; y: string; value: (r: ApiRun, axis: string) => string | number | undefined }) {
  const { series, skipped } = useMemo(() => {
    const points: { label: string; x: number; y: number }[] = [];
    let skip = 0;
    for (const r of runs) {
      const vx = Number(value(r, x));
      const vy = Number(value(r, y));
      if (value(r, x) === undefined || value(r, y) === undefined || !Number.isFinite(vx) || !Number.isFinite(vy)) skip++;
      else points.push({ label: runLabel(r), x: vx, y: vy });
    }
    // One series per run, so each run keeps its colour and its name in the legend.
    return { series: points.map((p): Series => ({ label: p.label, x: [p.x], y: [p.y] })), skipped: skip };
  }, [runs, x, y, value]);
  return (
    <>
      {series.length === 0 ? (
        <Empty>No run has numeric values for both axes.</Empty>
      ) : (
        <LineChart title={`${axisLabel(y)} vs ${axisLabel(x)}`} series={series} xLabel={axisLabel(x)} options={{ scatter: true, yLabel: axisLabel(y) }} height={300} />
      )}
      {skipped > 0 && (
        <p className="dim">
          {skipped} run{skipped === 1 ? '' : 's'} left out (no numeric value on an axis).
        </p>
      )}
    </>
  );
}

/** One metric of every run on one chart, down-sampled by the server (get-history-bulk-interval). */
function OverlaidHistory({ runs, metricKey }: { runs: ApiRun[]; metricKey: string }) {
  const ids = runs.map((r) => r.info.run_id);
  const history = useQuery({
    queryKey: ['history-bulk', ids, metricKey],
    queryFn: () => api.get<{ metrics?: ApiMetric[] }>('mlflow/metrics/get-history-bulk-interval', { run_ids: ids, metric_key: metricKey, max_results: 1000 }),
  });
  const series = useMemo(() => {
    const byRun = new Map<string, ApiMetric[]>();
    for (const p of history.data?.metrics ?? []) {
      const list = byRun.get(p.run_id ?? '') ?? [];
      list.push(p);
      byRun.set(p.run_id ?? '', list);
    }
    return runs.map((r): Series => {
      const points = (byRun.get(r.info.run_id) ?? []).sort((a, b) => Number(a.step) - Number(b.step));
      return { label: runLabel(r), x: points.map((p) => Number(p.step)), y: points.map((p) => p.value) };
    });
  }, [history.data, runs]);
  if (history.isPending) return <div className="chart placeholder">Loading {metricKey}…</div>;
  if (history.isError) return <ErrorState error={history.error} />;
  return <LineChart title={metricKey} series={series} />;
}
