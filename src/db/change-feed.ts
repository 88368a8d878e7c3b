import { Client } from 'pg';
import type { Logger } from '../logger';

/**
 * LISTEN on one channel, over a connection of its own that is opened again after a loss.
 *
 * `live` is true only while that connection is listening: a notification sent while it is not may
 * be lost, so nothing kept on the strength of these notifications can be trusted then.
 * `onChange` runs for every notification, and whenever the feed goes live or stops being live.
 */
export class ChangeFeed {
  live = false;
  private client: Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    /** A fixed identifier, never user input. */
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly onChange: () => void,
    private readonly retryMs = 1000,
  ) {}

  /** Connects and listens; a failure is logged and retried, never thrown. */
  async start(): Promise<void> {
    if (this.closed || this.client) return;
    const client = new Client({ connectionString: this.databaseUrl });
    this.client = client;
    client.on('notification', () => this.onChange());
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    this.onChange();
    this.live = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.live = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private lost(client: Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasLive = this.live;
    this.live = false;
    this.onChange();
    client.end().catch(() => undefined);
    if (this.closed) return;
    if (wasLive || err) {
      const reason = err instanceof Error ? err.message : 'connection closed';
      this.logger.warn(`Lost the LISTEN connection for ${this.channel} (${reason}); retrying every ${this.retryMs} ms. Until then nothing is served from the cache it keeps fresh.`);
    }
    this.retry = setTimeout(() => void this.start(), this.retryMs);
    this.retry.unref();
  }
}
