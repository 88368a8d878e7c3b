import http from 'node:http';
import { Client } from 'pg';
import { logSink } from '../helpers/log-sink';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';
import { API, uniqueName } from './registry-fixtures';
import { eventually } from './webhook-receiver';

/** A search whose client leaves is cancelled in PostgreSQL, not left running for nobody. */
describe('searches whose client goes away', () => {
  let t: TestApp;
  let holder: Client;
  const sink = logSink();

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '60000' }, { logger: sink.logger });
    holder = new Client({ connectionString: t.container.config.databaseUrl });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await t.close();
  });

  /**
   * The app's connections waiting for the holder's lock. (A statement blocked while it is parsed
   * still shows its connection's previous text and state, so the wait is what tells.)
   */
  async function waiting(): Promise<number[]> {
    const rows = await holder.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
    );
    return rows.rows.map((r) => r.pid);
  }

  /** Whether a backend is still connected, asked outside the holder's transaction. */
  async function connected(pid: number): Promise<boolean> {
    const c = new Client({ connectionString: t.container.config.databaseUrl });
    await c.connect();
    try {
      return (await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
    } finally {
      await c.end();
    }
  }

  it('cancels the statement of a runs/search when the client disconnects', async () => {
    const api = t.as();
    const experimentId = (await api.post(`${API}/experiments/create`, { name: uniqueName('cancel') }).expect(200)).body.experiment_id as string;
    await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200);
    // Another session locks the runs table: the search's statement waits behind it, as a long one would run.
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
    try {
      const body = JSON.stringify({ experiment_ids: [experimentId] });
      const req = http.request(`${t.baseUrl}${API}/runs/search`, {
        method: 'POST',
        headers: { ...bearer(api.token), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      req.on('error', () => undefined);
      req.end(body);
      await eventually(async () => (await waiting()).length > 0, 5_000, 'the search to wait for the lock');
      const blocked = await waiting();
      expect(blocked).toHaveLength(1);
      req.destroy();
      await eventually(async () => (await waiting()).length === 0, 5_000, 'the search to be cancelled');
      expect(await waiting()).toEqual([]); // cancelled while the lock is still held, not at the statement timeout
      // The service drops the cancelled statement's connection just before the error goes on to
      // the error handler (in the same turn of the event loop): once it is gone, the handler has run.
      await eventually(async () => !(await connected(blocked[0]!)), 5_000, 'the cancelled connection to close');
      expect(await connected(blocked[0]!)).toBe(false);
    } finally {
      await holder.query('ROLLBACK');
    }
    // A client that left is no failure of the server's: nothing at error level in the log.
    expect(sink.lines.filter((l) => Number(l.level) >= 50).map((l) => l.msg)).toEqual([]);
    // The pool is whole: searches answer again.
    const res = await api.post(`${API}/runs/search`, { experiment_ids: [experimentId] }).expect(200);
    expect(res.body.runs).toHaveLength(1);
  });
});
