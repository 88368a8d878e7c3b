import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/format';
import { gate, type Level } from '../../lib/permissions';
import { decodeClaims, getToken } from '../../lib/session';
import { useModelRefresh } from './refresh';
import { levelForTransition, type Stage, STAGES } from './stages';

/**
 * Promotion requests, comments and the activity feed of one model version (README "Promotion
 * requests"), through the public API only. Controls are gated by the caller's effective level for
 * display; the API decides and its message is shown as it is (four-eyes, policy refusals).
 */

interface OpenRequest {
  id: string;
  user_id: string;
  comment?: string;
  creation_timestamp: number;
  from_stage?: string;
  to_stage?: string;
  alias?: string;
  available_actions?: string[];
}

interface Comment {
  id: string;
  user_id: string;
  comment: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  available_actions?: string[];
}

interface Activity {
  id: string;
  action: string;
  activity_type?: string;
  user_id: string;
  creation_timestamp: number;
  from_stage?: string;
  to_stage?: string;
  alias?: string;
  comment?: string;
  system_comment?: string;
}

const asStage = (s: string | undefined): Stage => ((STAGES as readonly string[]).includes(s ?? '') ? (s as Stage) : 'None');
const currentUser = (): string | undefined => decodeClaims(getToken() ?? '')?.sub;

/** Open transition and alias requests of a version, the form to file one, and approve / reject / withdraw. */
export function Requests({ name, version, level, initialStage }: { name: string; version: string; level: Level | undefined; initialStage?: Stage | undefined }) {
  const refresh = useModelRefresh(name);
  const stageRequests = useQuery({
    queryKey: ['requests', name, version],
    queryFn: () => api.get<{ requests?: OpenRequest[] }>('mlflow/transition-requests/list', { name, version }),
  });
  const aliasRequests = useQuery({
    queryKey: ['alias-requests', name, version],
    queryFn: () => api.get<{ requests?: OpenRequest[] }>('mlflow/alias-requests/list', { name, version }),
  });
  const [stage, setStage] = useState<Stage>(initialStage ?? 'Production');
  const [comment, setComment] = useState('');
  const create = useMutation({
    mutationFn: () => api.post('mlflow/transition-requests/create', { name, version, stage, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onSuccess: async () => {
      setComment('');
      await refresh();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const [alias, setAlias] = useState('');
  const [aliasComment, setAliasComment] = useState('');
  const createAlias = useMutation({
    mutationFn: () => api.post('mlflow/alias-requests/create', { name, version, alias: alias.trim(), ...(aliasComment.trim() ? { comment: aliasComment.trim() } : {}) }),
    onSuccess: async () => {
      setAlias('');
      setAliasComment('');
      await refresh();
    },
  });
  const onAliasSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (alias.trim()) createAlias.mutate();
  };
  const rows = [
    ...(stageRequests.data?.requests ?? []).map((r) => ({ ...r, kind: 'stage' as const })),
    ...(aliasRequests.data?.requests ?? []).map((r) => ({ ...r, kind: 'alias' as const })),
  ];
  const error = stageRequests.error ?? aliasRequests.error;
  return (
    <section aria-labelledby="requests">
      <h2 id="requests">Requests</h2>
      {stageRequests.isPending || aliasRequests.isPending ? (
        <Loading what="requests" />
      ) : error ? (
        <ErrorState error={error} />
      ) : rows.length === 0 ? (
        <Empty>No open request.</Empty>
      ) : (
        <table className="grid" aria-label="Open requests">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Target</th>
              <th scope="col">Comment</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <RequestRow key={`${r.kind}-${r.id}`} name={name} version={version} level={level} request={r} kind={r.kind} onChange={refresh} />
            ))}
          </tbody>
        </table>
      )}
      <form className="inline" id="request-form" aria-label="Request a transition" onSubmit={onSubmit}>
        <label htmlFor="request-stage">Request a transition to</label>
        <select id="request-stage" value={stage} onChange={(e) => setStage(asStage(e.target.value))}>
          {STAGES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor="request-comment">Comment</label>
        <input id="request-comment" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why" />
        <button type="submit" disabled={create.isPending}>
          Request
        </button>
      </form>
      {create.isError && <ErrorState error={create.error} />}
      <form className="inline" aria-label="Request a protected alias" onSubmit={onAliasSubmit}>
        <label htmlFor="request-alias">Request protected alias</label>
        <input id="request-alias" value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="champion" />
        <label htmlFor="request-alias-comment">Alias comment</label>
        <input id="request-alias-comment" value={aliasComment} onChange={(e) => setAliasComment(e.target.value)} placeholder="why" />
        <button type="submit" disabled={createAlias.isPending || !alias.trim()}>
          Request alias
        </button>
      </form>
      {createAlias.isError && <ErrorState error={createAlias.error} />}
    </section>
  );
}

function RequestRow({
  name,
  version,
  level,
  request: r,
  kind,
  onChange,
}: {
  name: string;
  version: string;
  level: Level | undefined;
  request: OpenRequest;
  kind: 'stage' | 'alias';
  onChange: () => Promise<void>;
}) {
  const target = kind === 'stage' ? (r.to_stage ?? '') : `@${r.alias ?? ''}`;
  const need: Level = kind === 'stage' ? levelForTransition(asStage(r.from_stage), asStage(r.to_stage)) : 'MANAGE_PRODUCTION';
  const g = gate(level, need, 'registered model');
  const canArchive = kind === 'stage' && (r.to_stage === 'Staging' || r.to_stage === 'Production');
  const [archive, setArchive] = useState(false);
  const base = kind === 'stage' ? 'mlflow/transition-requests' : 'mlflow/alias-requests';
  const key = kind === 'stage' ? { stage: r.to_stage } : { alias: r.alias };
  const act = useMutation({
    mutationFn: (what: 'approve' | 'reject' | 'withdraw') => {
      if (what === 'withdraw') return api.delete(`${base}/delete`, { name, version, ...key, ...(r.user_id !== currentUser() ? { creator: r.user_id } : {}) });
      return api.post(`${base}/${what}`, { name, version, ...key, ...(what === 'approve' && canArchive ? { archive_existing_versions: archive } : {}) });
    },
    onSuccess: onChange,
  });
  const mayWithdraw = r.user_id === currentUser() || (r.available_actions ?? []).includes('CANCEL_TRANSITION_REQUEST');
  const label = `${r.user_id}'s request for ${target}`;
  return (
    <tr>
      <td>{formatTime(r.creation_timestamp)}</td>
      <td>{r.user_id}</td>
      <td>
        <span className="badge">{target}</span>
      </td>
      <td>{r.comment ?? ''}</td>
      <td>
        <span className="actions">
          {canArchive && (
            <label className="inline-check">
              <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} disabled={g.disabled} /> archive_existing_versions
            </label>
          )}
          <button type="button" className="small primary" {...g} disabled={g.disabled || act.isPending} aria-label={`Approve ${label}`} onClick={() => act.mutate('approve')}>
            Approve
          </button>
          <button type="button" className="small" {...g} disabled={g.disabled || act.isPending} aria-label={`Reject ${label}`} onClick={() => act.mutate('reject')}>
            Reject
          </button>
          {mayWithdraw && (
            <button type="button" className="small" disabled={act.isPending} aria-label={`Withdraw ${label}`} onClick={() => act.mutate('withdraw')}>
              Withdraw
            </button>
          )}
        </span>
        {act.isError && <ErrorState error={act.error} />}
      </td>
    </tr>
  );
}

/** The comments of a version: list, add, and edit or delete the caller's own (or any, with MANAGE). */
export function Comments({ name, version }: { name: string; version: string }) {
  const refresh = useModelRefresh(name);
  const list = useInfiniteQuery({
    queryKey: ['comments', name, version],
    queryFn: ({ pageParam }) =>
      api.get<{ comments?: Comment[]; next_page_token?: string }>('mlflow/comments/list', { name, version, max_results: 50, ...(pageParam ? { page_token: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const [text, setText] = useState('');
  const add = useMutation({
    mutationFn: () => api.post('mlflow/comments/create', { name, version, comment: text.trim() }),
    onSuccess: async () => {
      setText('');
      await refresh();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) add.mutate();
  };
  const comments = list.data?.pages.flatMap((p) => p.comments ?? []) ?? [];
  return (
    <section aria-labelledby="comments">
      <h2 id="comments">Comments</h2>
      {list.isPending ? (
        <Loading what="comments" />
      ) : list.isError ? (
        <ErrorState error={list.error} />
      ) : comments.length === 0 ? (
        <Empty>No comment yet.</Empty>
      ) : (
        <ul className="comment-list" aria-label="Comments on this version">
          {comments.map((c) => (
            <CommentItem key={c.id} comment={c} onChange={refresh} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          More comments
        </button>
      )}
      <form className="inline" onSubmit={onSubmit}>
        <label htmlFor="new-comment">New comment</label>
        <input id="new-comment" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={add.isPending || !text.trim()}>
          Add comment
        </button>
      </form>
      {add.isError && <ErrorState error={add.error} />}
    </section>
  );
}

function CommentItem({ comment: c, onChange }: { comment: Comment; onChange: () => Promise<void> }) {
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const actions = c.available_actions ?? [];
  const save = useMutation({
    mutationFn: (comment: string) => api.patch('mlflow/comments/update', { id: c.id, comment }),
    onSuccess: async () => {
      setEditing(undefined);
      await onChange();
    },
  });
  const remove = useMutation({ mutationFn: () => api.delete('mlflow/comments/delete', { id: c.id }), onSuccess: onChange });
  return (
    <li>
      <p className="dim">
        {c.user_id}, {formatTime(c.creation_timestamp)}
        {c.last_updated_timestamp !== c.creation_timestamp ? ' (edited)' : ''}
      </p>
      {editing === undefined ? (
        <p>{c.comment}</p>
      ) : (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (editing.trim()) save.mutate(editing.trim());
          }}
        >
          <label htmlFor={`edit-comment-${c.id}`}>Edit comment</label>
          <input id={`edit-comment-${c.id}`} value={editing} onChange={(e) => setEditing(e.target.value)} />
          <button type="submit" disabled={save.isPending || !editing.trim()}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(undefined)}>
            Cancel
          </button>
        </form>
      )}
      <span className="actions">
        {actions.includes('EDIT_COMMENT') && editing === undefined && (
          <button type="button" className="small" onClick={() => setEditing(c.comment)}>
            Edit
          </button>
        )}
        {actions.includes('DELETE_COMMENT') && (
          <button type="button" className="small" disabled={remove.isPending} onClick={() => remove.mutate()}>
            Delete
          </button>
        )}
      </span>
      {save.isError && <ErrorState error={save.error} />}
      {remove.isError && <ErrorState error={remove.error} />}
    </li>
  );
}

/** The stage an event names ("?" if it names none). */
const stageName = (s: string | undefined) => s ?? '?';

/**
 * One human wording per event of the feed, from its audit `action` (the feed's Databricks
 * `activity_type` is coarser: CANCELLED_REQUEST is both a withdrawal and a close, and alias events
 * have none). An action this UI does not know yet is shown as it is, in words.
 */
function activityWhat(a: Activity, version: string): string {
  const to = stageName(a.to_stage);
  const alias = a.alias ?? '?';
  switch (a.action) {
    case 'create_model_version':
      return `Registered version ${version}`;
    case 'delete_model_version':
      return `Deleted version ${version}`;
    case 'update_description':
      return 'Edited the description';
    case 'set_model_version_tag':
      return 'Set a tag';
    case 'delete_model_version_tag':
      return 'Deleted a tag';
    case 'transition_stage':
    case 'archive_existing_version':
      return a.from_stage !== undefined ? `Moved from ${a.from_stage} to ${to}` : `Moved to ${to}`;
    case 'create_transition_request':
      return `Requested a transition to ${to}`;
    case 'approve_transition_request':
      return `Approved the transition to ${to}`;
    case 'reject_transition_request':
      return `Rejected the transition to ${to}`;
    case 'delete_transition_request':
      return `Withdrew the request for a transition to ${to}`;
    case 'close_transition_request':
      return `Closed the request for a transition to ${to}`;
    case 'create_alias_request':
      return `Requested alias ${alias} → v${version}`;
    case 'approve_alias_request':
      return `Approved alias ${alias} → v${version}`;
    case 'reject_alias_request':
      return `Rejected alias ${alias} → v${version}`;
    case 'delete_alias_request':
      return `Withdrew the request for alias ${alias}`;
    case 'close_alias_request':
      return `Closed the request for alias ${alias}`;
    case 'set_alias':
      return `Set alias ${alias} → v${version}`;
    case 'delete_alias':
      return `Removed alias ${alias} from v${version}`;
    case 'create_comment':
      return 'Commented';
    case 'update_comment':
      return 'Edited a comment';
    case 'delete_comment':
      return 'Deleted a comment';
    default: {
      const words = a.action.replaceAll('_', ' ');
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}

/** The event's comment (in quotes) and the service's own note, if any. */
const details = (a: Activity): string => [a.comment ? `“${a.comment}”` : '', a.system_comment ?? ''].filter(Boolean).join(' ');

/** The version's activity feed (GET registry/model-versions/activity), newest first, a page at a time. */
export function ActivityFeed({ name, version }: { name: string; version: string }) {
  const feed = useInfiniteQuery({
    queryKey: ['activity', name, version],
    queryFn: ({ pageParam }) =>
      api.get<{ activities?: Activity[]; next_page_token?: string }>('registry/model-versions/activity', {
        name,
        version,
        max_results: 25,
        ...(pageParam ? { page_token: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const items = feed.data?.pages.flatMap((p) => p.activities ?? []) ?? [];
  return (
    <section aria-labelledby="activity">
      <h2 id="activity">Activity</h2>
      {feed.isPending ? (
        <Loading what="activity" />
      ) : feed.isError ? (
        <ErrorState error={feed.error} />
      ) : items.length === 0 ? (
        <Empty>No activity yet.</Empty>
      ) : (
        <table className="grid" aria-label="Activity">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id}>
                <td>{formatTime(a.creation_timestamp)}</td>
                <td>{a.user_id}</td>
                <td>{activityWhat(a, version)}</td>
                <td>{details(a)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {feed.hasNextPage && (
        <button type="button" onClick={() => void feed.fetchNextPage()} disabled={feed.isFetchingNextPage}>
          Older activity
        </button>
      )}
    </section>
  );
}
