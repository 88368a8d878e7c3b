import { formatDuration, formatNumber, formatTime } from '../../lib/format';
import { type ApiRun, quoteKey } from '../../lib/mlflow';

export interface Column {
  /** In the URL: `cols=m:rmse,p:lr,t:team`, `sort=m:rmse`. */
  id: string;
  label: string;
  /** MLflow's order_by key; none when the server cannot sort on it. */
  orderKey?: string;
  width: number;
  value(run: ApiRun): string;
}

const find = (list: { key: string; value: string }[] | undefined, key: string) => list?.find((x) => x.key === key)?.value ?? '';

export const BASE_COLUMNS: Column[] = [
  { id: 'name', label: 'Run name', orderKey: 'attributes.run_name', width: 200, value: (r) => r.info.run_name ?? r.info.run_id },
  { id: 'status', label: 'Status', orderKey: 'attributes.status', width: 100, value: (r) => r.info.status },
  { id: 'user', label: 'User', orderKey: 'attributes.user_id', width: 110, value: (r) => r.info.user_id ?? '' },
  { id: 'start', label: 'Start', orderKey: 'attributes.start_time', width: 180, value: (r) => formatTime(r.info.start_time) },
  { id: 'duration', label: 'Duration', width: 90, value: (r) => (r.info.end_time || r.info.status === 'RUNNING' ? formatDuration(r.info.start_time, r.info.end_time) : '') },
];

export function dataColumn(id: string): Column | undefined {
  const kind = id.slice(0, 2);
  const key = id.slice(2);
  if (!key) return undefined;
  switch (kind) {
    case 'm:':
      return { id, label: key, orderKey: `metrics.${quoteKey(key)}`, width: 110, value: (r) => formatNumber(r.data.metrics?.find((m) => m.key === key)?.value) };
    case 'p:':
      return { id, label: key, orderKey: `params.${quoteKey(key)}`, width: 110, value: (r) => find(r.data.params, key) };
    case 't:':
      return { id, label: key, orderKey: `tags.${quoteKey(key)}`, width: 130, value: (r) => find(r.data.tags, key) };
  }
  return undefined;
}

/** Keys seen in the loaded runs, for the column picker. */
export function availableKeys(runs: ApiRun[]): { metrics: string[]; params: string[]; tags: string[] } {
  const m = new Set<string>();
  const p = new Set<string>();
  const t = new Set<string>();
  for (const r of runs) {
    r.data.metrics?.forEach((x) => m.add(x.key));
    r.data.params?.forEach((x) => p.add(x.key));
    r.data.tags?.forEach((x) => (x.key.startsWith('mlflow.') ? undefined : t.add(x.key)));
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { metrics: sorted(m), params: sorted(p), tags: sorted(t) };
}
