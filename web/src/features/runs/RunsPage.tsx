import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from '../../components/Link';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api, ApiError } from '../../lib/api';
import type { ApiExperiment, ApiRun } from '../../lib/mlflow';
import { setQuery, useLocation } from '../../lib/router';
import { availableKeys, BASE_COLUMNS, type Column, dataColumn } from './columns';

interface SearchRunsResponse {
  runs?: ApiRun[];
  next_page_token?: string;
}

const PAGE_SIZE = 500;
const ROW_HEIGHT = 32;

export function RunsPage({ experimentId }: { experimentId: string }) {
  const { query } = useLocation();
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
    queryKey: ['runs', experimentId, filter, orderBy],
    queryFn: ({ pageParam }) =>
      api.post<SearchRunsResponse>('mlflow/runs/search', {
        experiment_ids: [experimentId],
        max_results: PAGE_SIZE,
        order_by: orderBy,
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

  return (
    <main>
      <p className="crumbs">
        <Link to="/">Experiments</Link> /
      </p>
      <h1>{experiment.data?.experiment.name ?? `Experiment ${experimentId}`}</h1>
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
      </form>
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
        <Empty>{filter ? 'No run matches this filter.' : 'No runs in this experiment yet: log one with the MLflow client (mlflow.start_run()).'}</Empty>
      ) : (
        !filterError && (
          <RunsGrid
            rows={rows}
            columns={columns}
            sort={sort}
            dir={dir}
            onSort={onSort}
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
  hasMore: boolean;
  loadMore: () => void;
  loadingMore: boolean;
}

function RunsGrid({ rows, columns, sort, dir, onSort, hasMore, loadMore, loadingMore }: GridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - 20) loadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, loadMore]);
  const template = columns.map((c) => `${c.width}px`).join(' ');
  const width = columns.reduce((s, c) => s + c.width, 0);
  return (
    <>
      <div className="runs" ref={scroller} role="table" aria-label="Runs" aria-rowcount={rows.length + 1}>
        <div className="runs-head" role="row" style={{ gridTemplateColumns: template, width }}>
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
            const run = rows[item.index]!;
            return (
              <div
                key={run.info.run_id}
                role="row"
                aria-rowindex={item.index + 2}
                className="runs-row"
                style={{ gridTemplateColumns: template, width, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                {columns.map((c) => (
                  <div key={c.id} role="cell">
                    {c.id === 'name' ? <Link to={`/runs/${encodeURIComponent(run.info.run_id)}`}>{c.value(run)}</Link> : c.value(run)}
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
