import { useInfiniteQuery } from '@tanstack/react-query';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';

interface AuditEvent {
  timestamp: number;
  actor: string;
  action: string;
  name?: string;
  version?: string;
  before?: unknown;
  after?: unknown;
}

const scalar = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
const show = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object' || Array.isArray(v)) return scalar(v);
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k}: ${scalar(x)}`)
    .join(', ');
};

/** Who did what, when, from what to what: GET registry/audit for a model or one of its versions. */
export function AuditTrail({ name, version }: { name: string; version?: string }) {
  const audit = useInfiniteQuery({
    queryKey: ['audit', name, version ?? ''],
    queryFn: ({ pageParam }) =>
      api.get<{ events?: AuditEvent[]; next_page_token?: string }>('registry/audit', {
        name,
        ...(version ? { version } : {}),
        max_results: 100,
        ...(pageParam ? { page_token: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const events = audit.data?.pages.flatMap((p) => p.events ?? []) ?? [];
  return (
    <section aria-labelledby="audit">
      <h2 id="audit">Audit trail</h2>
      {audit.isPending ? (
        <Loading what="audit trail" />
      ) : audit.isError ? (
        <ErrorState error={audit.error} />
      ) : events.length === 0 ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <table className="grid" aria-label="Audit trail">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              {!version && <th scope="col">Version</th>}
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e, i) => (
              <tr key={`${e.timestamp}-${i}`}>
                <td>{formatTime(e.timestamp)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                {!version && <td>{e.version ? `v${e.version}` : ''}</td>}
                <td>{show(e.before)}</td>
                <td>{show(e.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {audit.hasNextPage && (
        <button type="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          Older events
        </button>
      )}
    </section>
  );
}
