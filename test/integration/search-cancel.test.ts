import http from 'node:http';
import { Client } from 'pg';
import { logSink } from '../helpers/log-sink';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';
import { API, uniqueName } from './registry-fixtures';

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
  async function waiting(): Promise<number> {
    const rows = await holder.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
    );
    return Number(rows.rows[0]!.n);
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
      for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await waiting()).toBe(1);
      req.destroy();
      let left = 1;
      for (let i = 0; i < 100 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await waiting();
      }
      expect(left).toBe(0); // cancelled while the lock is still held, not at the statement timeout
    } finally {
      await holder.query('ROLLBACK');
    }
    // A client that left is no failure of the server's: nothing at error level in the log (the
    // cancelled statement's error reaches the error handler right after the cancel).
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.lines.filter((l) => Number(l.level) >= 50).map((l) => l.msg)).toEqual([]);
    // The pool is whole: searches answer again.
    const res = await api.post(`${API}/runs/search`, { experiment_ids: [experimentId] }).expect(200);
    expect(res.body.runs).toHaveLength(1);
  });
});
