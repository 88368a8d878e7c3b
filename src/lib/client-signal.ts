import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `next` (the rest of a request's handling) with a signal that aborts when the client goes away
 * before its answer was sent, so work done only for that answer can stop: SqlExecutor cancels the
 * search statement it is running (db/sql.ts). Nothing else reads it.
 */
export function untilClientLeaves(res: { once(event: 'close', f: () => void): unknown; writableFinished: boolean }, next: () => void): void {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  scope.run(controller.signal, next);
}

/** The signal of the request being handled, where untilClientLeaves set one. */
export const clientSignal = (): AbortSignal | undefined => scope.getStore();
