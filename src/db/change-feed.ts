import { Client } from 'pg';
import type { Logger } from '../logger';

export interface ChangeFeedOptions {
  /** Wait between attempts to connect again after a loss. */
  retryMs?: number;
  /** A round trip (`SELECT 1`) is sent this long after the previous one was sent. */
  heartbeatMs?: number;
  /** A round trip, or connecting and `LISTEN`, not answered within this counts as a lost connection. */
  heartbeatTimeoutMs?: number;
  /** Idle time before the first TCP keep-alive probe. */
  keepAliveInitialDelayMs?: number;
}

/**
 * LISTEN on one channel, over a connection of its own that is opened again after a loss.
 *
 * `live` is true only while that connection is listening: a notification sent while it is not may
 * be lost, so nothing kept on the strength of these notifications can be trusted then.
 * `onChange` runs for every notification, and whenever the feed goes live or stops being live.
 *
 * A connection can die without a word (a NAT or load balancer forgetting an idle flow): nothing
 * arrives, and nothing says so. So a `SELECT 1` goes out every `heartbeatMs`, and one not answered
 * within `heartbeatTimeoutMs` ends `live` and the connection. PostgreSQL sends a listener the
 * notifications committed before it ran a query ahead of that query's answer, so every answer shows
 * that nothing sent before the query was missed: a notification is heard, or `live` ends, at most
 * `heartbeatMs + heartbeatTimeoutMs` after its commit (when the timeout is no longer than the
 * interval). TCP keep-alive is on too, so a dead peer is noticed even between round trips.
 */
export class ChangeFeed {
  live = false;
  private client: Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly retryMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly keepAliveInitialDelayMs: number;

  constructor(
    private readonly databaseUrl: string,
    /** A fixed identifier, never user input. */
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly onChange: () => void,
    options: ChangeFeedOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3000;
    this.keepAliveInitialDelayMs = options.keepAliveInitialDelayMs ?? 10_000;
  }

  /** Connects and listens; a failure is logged and retried, never thrown. */
  async start(): Promise<void> {
    if (this.closed || this.client) return;
    const client = new Client({
      connectionString: this.databaseUrl,
      keepAlive: true,
      keepAliveInitialDelayMillis: this.keepAliveInitialDelayMs,
      // Names the connection in pg_stat_activity, for operators (and tests) looking for the listener.
      application_name: `registry ${this.channel} listener`,
    });
    this.client = client;
    client.on('notification', () => this.onChange());
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    const sentAt = performance.now();
    try {
      await this.answered(
        (async () => {
          await client.connect();
          await client.query(`LISTEN ${this.channel}`);
        })(),
        'connecting',
      );
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    this.onChange();
    this.live = true;
    this.beatAfter(client, sentAt);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.heartbeat);
    this.live = false;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A connection that died without a word never answers the goodbye either: wait at most a timeout.
    const ended = client.end().catch(() => undefined);
    await this.answered(ended, 'closing').catch(() => undefined);
    client.connection.stream.destroy();
  }

  /** The next round trip goes out `heartbeatMs` after the previous one went out (at once if later). */
  private beatAfter(client: Client, previousSentAt: number): void {
    const wait = Math.max(0, previousSentAt + this.heartbeatMs - performance.now());
    this.heartbeat = setTimeout(() => {
      if (this.client !== client) return;
      const sentAt = performance.now();
      this.answered(client.query('SELECT 1'), 'heartbeat').then(
        () => {
          if (this.client === client) this.beatAfter(client, sentAt);
        },
        (err: unknown) => this.lost(client, err),
      );
    }, wait);
    this.heartbeat.unref();
  }

  private answered<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${this.heartbeatTimeoutMs} ms`)), this.heartbeatTimeoutMs);
      timer.unref();
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  private lost(client: Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearTimeout(this.heartbeat);
    const wasLive = this.live;
    this.live = false;
    this.onChange();
    client.end().catch(() => undefined);
    // A connection that stopped answering may never finish a polite goodbye either.
    client.connection.stream.destroy();
    if (this.closed) return;
    if (wasLive || err) {
      const reason = err instanceof Error ? err.message : 'connection closed';
      this.logger.warn(`Lost the LISTEN connection for ${this.channel} (${reason}); retrying every ${this.retryMs} ms. Until then nothing is served from the cache it keeps fresh.`);
    }
    this.retry = setTimeout(() => void this.start(), this.retryMs);
    this.retry.unref();
  }
}
