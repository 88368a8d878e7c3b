import type { ApiRun } from '../../lib/mlflow';

export const PARENT_TAG = 'mlflow.parentRunId';

export interface RunRow {
  run: ApiRun;
  depth: number;
  /** Loaded children (MLflow's mlflow.parentRunId tag). */
  children: number;
}

const parentOf = (r: ApiRun) => r.data.tags?.find((t) => t.key === PARENT_TAG)?.value;

/**
 * The loaded runs in the server's order, each child under its parent (children keep the server's
 * order among themselves). A run whose parent is not loaded (another page, filtered out) stays at
 * the top level; a parent cycle cannot hide runs, every run appears once.
 */
export function nestRuns(runs: ApiRun[], collapsed: ReadonlySet<string>): RunRow[] {
  const loaded = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, ApiRun[]>();
  const roots: ApiRun[] = [];
  for (const r of runs) {
    const parent = parentOf(r);
    if (parent && parent !== r.info.run_id && loaded.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(r);
      children.set(parent, list);
    } else roots.push(r);
  }
  const out: RunRow[] = [];
  const seen = new Set<string>();
  // Every run is visited once; the descendants of a collapsed run are visited but not shown.
  const visit = (r: ApiRun, depth: number, shown: boolean) => {
    const id = r.info.run_id;
    if (seen.has(id)) return;
    seen.add(id);
    const kids = children.get(id) ?? [];
    if (shown) out.push({ run: r, depth, children: kids.length });
    for (const k of kids) visit(k, depth + 1, shown && !collapsed.has(id));
  };
  for (const r of roots) visit(r, 0, true);
  // Runs only reachable through a cycle of parents.
  for (const r of runs) visit(r, 0, true);
  return out;
}
