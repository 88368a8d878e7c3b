import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type FormEvent, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api, ApiError } from '../../lib/api';
import type { ApiExperiment, ApiRun } from '../../lib/mlflow';
import { gate, useEffectiveLevel } from '../../lib/permissions';
import { navigate, setQuery, useLocation } from '../../lib/router';
import { availableKeys, BASE_COLUMNS, type Column, dataColumn } from './columns';
import { MAX_COMPARE } from './ComparePage';
import { nestRuns, type RunRow } from './nesting';

interface SearchRunsResponse {
  runs?: ApiRun[];
  next_page_token?: string;
}

const PAGE_SIZE = 500;
const ROW_HEIGHT = 32;
const SELECT_WIDTH = 40;

/** `settings`: the experiment's own controls (rename, tags, delete, grants), composed by the app. */
export function RunsPage({ experimentId, settings }: { experimentId: string; settings?: ReactNode }) {
  const { query } = useLocation();
  const deletedView = query.get('view') === 'deleted';
  const selectedIds = useMemo(() => (query.get('sel') ?? '').split(',').filter(Boolean), [query]);
  const { level } = useEffectiveLevel({ experimentId });
  const client = useQueryClient();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? 'start';
  const dir = query.get('dir') === 'asc' ? 'ASC' : 'DESC';
  const colsParam = query.get('cols');
  const [draft, setDraft] = useState(filter);

  const experiment = useQuery({
    queryKey: ['experiment', experimentId],
    queryFn: () => api.get<{ experiment: ApiExperiment }>('mlflow/experiments/get', { experiment_id: experimentId }),
  });
  const sortColumn = BASE_COLUMNS.find((c) => c.id === sort) ?? dataColumn(sort);
  const orderBy = sortColumn?.orderKey ? [`${sortColumn.orderKey} ${dir}`] : [];
  const runs = useInfiniteQuery({
    queryKey: ['runs', experimentId, filter, orderBy, deletedView],
    queryFn: ({ pageParam }) =>
      api.post<SearchRunsResponse>('mlflow/runs/search', {
        experiment_ids: [experimentId],
        max_results: PAGE_SIZE,
        order_by: orderBy,
        run_view_type: deletedView ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
        ...(filter ? { filter } : {}),
        ...(pageParam ? { page_token: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
    placeholderData: (prev) => prev,
  });
  const rows = useMemo(() => runs.data?.pages.flatMap((p) => p.runs ?? []) ?? [], [runs.data]);
  const keys = useMemo(() => availableKeys(rows), [rows]);
  const selected = colsParam !== null ? colsParam.split(',').filter(Boolean) : [...keys.metrics.slice(0, 10).map((k) => `m:${k}`), ...keys.params.slice(0, 10).map((k) => `p:${k}`)];
  const columns: Column[] = [...BASE_COLUMNS, ...selected.map(dataColumn).filter((c): c is Column => c !== undefined)];

  const onFilter = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ filter: draft.trim() });
  };
  const onSort = (c: Column) => {
    if (!c.orderKey) return;
    setQuery({ sort: c.id, dir: sort === c.id && dir === 'DESC' ? 'asc' : 'desc' });
  };
  const filterError = runs.error instanceof ApiError && runs.error.status === 400 ? runs.error : undefined;
  const setSelected = useCallback((ids: string[]) => setQuery({ sel: ids.join(',') }), []);
  const lifecycle = useMutation({
    mutationFn: async (action: 'delete' | 'restore') => {
      for (const id of selectedIds) await api.post(`mlflow/runs/${action}`, { run_id: id });
    },
    onSuccess: async () => {
      setSelected([]);
      await client.invalidateQueries({ queryKey: ['runs', experimentId] });
    },
  });
  const canEdit = gate(level, 'EDIT', 'experiment');
  const canManage = gate(level, 'MANAGE', 'experiment');

  return (
    <main>
      <p className="crumbs">
        <Link to="/">Experiments</Link> /
      </p>
      <h1>
        {experiment.data?.experiment.name ?? `Experiment ${experimentId}`}
        {experiment.data?.experiment.lifecycle_stage === 'deleted' && <span className="badge">deleted</span>}
      </h1>
      {level && <p className="dim">Your permission on this experiment: {level}</p>}
      {settings}
      <form className="filter" onSubmit={onFilter} role="search">
        <label htmlFor="run-filter">Filter runs</label>
        <input
          id="run-filter"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="metrics.rmse < 0.5 and params.lr = '0.01'"
          aria-invalid={filterError ? true : undefined}
          aria-describedby={filterError ? 'run-filter-error' : undefined}
        />
        <button type="submit">Search</button>
        <ColumnPicker keys={keys} selected={selected} />
        <label className="check inline-check">
          <input type="checkbox" checked={deletedView} onChange={(e) => setQuery({ view: e.target.checked ? 'deleted' : undefined, sel: undefined })} /> Deleted runs
        </label>
      </form>
      <div className="toolbar" role="toolbar" aria-label="Selected runs">
        <span className="dim">{selectedIds.length} selected</span>
        <button
          type="button"
          disabled={selectedIds.length < 2 || selectedIds.length > MAX_COMPARE}
          title={selectedIds.length < 2 || selectedIds.length > MAX_COMPARE ? `Select 2 to ${MAX_COMPARE} runs to compare` : undefined}
          onClick={() => navigate(`/compare?runs=${selectedIds.map(encodeURIComponent).join(',')}`)}
        >
          Compare
        </button>
        {!canEdit.disabled &&
          (deletedView ? (
            <button type="button" disabled={canManage.disabled || selectedIds.length === 0 || lifecycle.isPending} title={canManage.title} onClick={() => lifecycle.mutate('restore')}>
              Restore
            </button>
          ) : (
            <button type="button" disabled={canManage.disabled || selectedIds.length === 0 || lifecycle.isPending} title={canManage.title} onClick={() => lifecycle.mutate('delete')}>
              Delete
            </button>
          ))}
        {selectedIds.length > 0 && (
          <button type="button" onClick={() => setSelected([])}>
            Clear selection
          </button>
        )}
        {lifecycle.isError && <ErrorState error={lifecycle.error} />}
      </div>
      {filterError && (
        <p id="run-filter-error" className="state error" role="alert">
          {filterError.message}
        </p>
      )}
      {runs.isPending ? (
        <Loading what="runs" />
      ) : runs.isError && !filterError ? (
        <ErrorState error={runs.error} />
      ) : rows.length === 0 && !filterError ? (
        <Empty>
          {filter
            ? 'No run matches this filter.'
            : deletedView
              ? 'No deleted runs in this experiment.'
              : 'No runs in this experiment yet: log one with the MLflow client (mlflow.start_run()).'}
        </Empty>
      ) : (
        !filterError && (
          <RunsGrid
            rows={rows}
            columns={columns}
            sort={sort}
            dir={dir}
            onSort={onSort}
            selectedIds={selectedIds}
            onSelect={setSelected}
            busy={runs.isFetching && !runs.isFetchingNextPage}
            hasMore={runs.hasNextPage}
            loadMore={() => void runs.fetchNextPage()}
            loadingMore={runs.isFetchingNextPage}
          />
        )
      )}
    </main>
  );
}

function ColumnPicker({ keys, selected }: { keys: { metrics: string[]; params: string[]; tags: string[] }; selected: string[] }) {
  const toggle = (id: string) => {
    const next = selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id];
    setQuery({ cols: next.join(',') || ',' });
  };
  const group = (title: string, prefix: string, list: string[]) =>
    list.length > 0 && (
      <fieldset>
        <legend>{title}</legend>
        {list.map((k) => (
          <label key={k} className="check">
            <input type="checkbox" checked={selected.includes(prefix + k)} onChange={() => toggle(prefix + k)} /> {k}
          </label>
        ))}
      </fieldset>
    );
  return (
    <details className="picker">
      <summary>Columns</summary>
      <div className="picker-body">
        {group('Metrics', 'm:', keys.metrics)}
        {group('Params', 'p:', keys.params)}
        {group('Tags', 't:', keys.tags)}
      </div>
    </details>
  );
}

interface GridProps {
  rows: ApiRun[];
  columns: Column[];
  sort: string;
  dir: 'ASC' | 'DESC';
  onSort: (c: Column) => void;
  selectedIds: string[];
  onSelect: (ids: string[]) => void;
  /** A new sort or filter is loading: the rows shown are the previous answer's. */
  busy: boolean;
  hasMore: boolean;
  loadMore: () => void;
  loadingMore: boolean;
}

function RunsGrid({ rows, columns, sort, dir, onSort, selectedIds, onSelect, busy, hasMore, loadMore, loadingMore }: GridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const display = useMemo(() => nestRuns(rows, collapsed), [rows, collapsed]);
  const virtualizer = useVirtualizer({ count: display.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= display.length - 20) loadMore();
  }, [hasMore, loadingMore, lastIndex, display.length, loadMore]);
  const template = [`${SELECT_WIDTH}px`, ...columns.map((c) => `${c.width}px`)].join(' ');
  const width = columns.reduce((s, c) => s + c.width, SELECT_WIDTH);
  const selected = new Set(selectedIds);
  const allSelected = rows.length > 0 && rows.length <= MAX_COMPARE && rows.every((r) => selected.has(r.info.run_id));
  const toggle = (id: string) => onSelect(selected.has(id) ? selectedIds.filter((x) => x !== id) : [...selectedIds, id]);
  const toggleCollapsed = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <>
      <div className={`runs${busy ? ' busy' : ''}`} ref={scroller} role="table" aria-label="Runs" aria-rowcount={display.length + 1} aria-busy={busy}>
        <div className="runs-head" role="row" style={{ gridTemplateColumns: template, width }}>
          <div role="columnheader">
            {rows.length <= MAX_COMPARE && (
              <input type="checkbox" aria-label="Select all runs" checked={allSelected} onChange={() => onSelect(allSelected ? [] : rows.map((r) => r.info.run_id))} />
            )}
          </div>
          {columns.map((c) => {
            const sorted = sort === c.id;
            return (
              <div
                key={c.id}
                role="columnheader"
                aria-sort={sorted ? (dir === 'ASC' ? 'ascending' : 'descending') : 'none'}
                title={c.id.length > 2 && c.id[1] === ':' ? c.orderKey : undefined}
              >
                {c.orderKey ? (
                  <button type="button" className="sort" onClick={() => onSort(c)}>
                    {c.label}
                    {sorted ? (dir === 'ASC' ? ' ▲' : ' ▼') : ''}
                  </button>
                ) : (
                  c.label
                )}
              </div>
            );
          })}
        </div>
        <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), width, position: 'relative' }}>
          {items.map((item) => {
            const row = display[item.index]!;
            const run = row.run;
            const id = run.info.run_id;
            return (
              <div
                key={id}
                role="row"
                aria-rowindex={item.index + 2}
                aria-level={row.depth + 1}
                aria-selected={selected.has(id)}
                data-run-id={id}
                className="runs-row"
                style={{ gridTemplateColumns: template, width, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                <div role="cell">
                  <input type="checkbox" aria-label={`Select ${c0(run)}`} checked={selected.has(id)} onChange={() => toggle(id)} />
                </div>
                {columns.map((c) => (
                  <div key={c.id} role="cell">
                    {c.id === 'name' ? <NameCell row={row} collapsed={collapsed.has(id)} onToggle={() => toggleCollapsed(id)} /> : c.value(run)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      <p className="table-foot">
        {rows.length} runs loaded{hasMore ? '' : ' (all)'}
        {hasMore && (
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
      </p>
    </>
  );
}

const c0 = (run: ApiRun) => run.info.run_name ?? run.info.run_id;

function NameCell({ row, collapsed, onToggle }: { row: RunRow; collapsed: boolean; onToggle: () => void }) {
  const name = c0(row.run);
  return (
    <span className="name-cell" style={{ paddingLeft: row.depth * 18 }}>
      {row.children > 0 ? (
        <button type="button" className="twisty" aria-expanded={!collapsed} aria-label={`${collapsed ? 'Show' : 'Hide'} ${row.children} child runs of ${name}`} onClick={onToggle}>
          {collapsed ? '▸' : '▾'}
        </button>
      ) : (
        row.depth > 0 && <span className="twisty-space" aria-hidden="true" />
      )}
      <Link to={`/runs/${encodeURIComponent(row.run.info.run_id)}`}>{name}</Link>
    </span>
  );
}
