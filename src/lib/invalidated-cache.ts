import { BoundedCache } from './bounded-cache';

/**
 * A cache that keeps only what it can show to be current. It is emptied on every change
 * notification and at the start and end of every local write; a value read while a write was in
 * flight, or read across a notification, or while the notifications are not live, is returned but
 * not kept. So a reader in this process always sees its own writes, and a change committed anywhere
 * else is seen once its notification arrives.
 */
export class InvalidatedCache<V> {
  private generation = 0;
  private writes = 0;
  private readonly entries: BoundedCache<string, V>;

  constructor(
    max: number,
    /** Whether change notifications are being received (ChangeFeed.live). */
    private readonly isLive: () => boolean,
  ) {
    this.entries = new BoundedCache(max);
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Marks a write in flight; call the returned function (once or more) when it has finished. */
  beginWrite(): () => void {
    this.writes++;
    this.invalidate();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.invalidate();
      this.writes--;
    };
  }

  /** The kept value, or `load()`'s, kept only if nothing may have changed while it was read. */
  async read(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const kept = this.entries.get(key);
    if (kept !== undefined) return kept;
    const generation = this.generation;
    const value = await load();
    if (value !== null && this.writes === 0 && generation === this.generation && this.isLive()) this.entries.set(key, value);
    return value;
  }
}
