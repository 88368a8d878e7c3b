import { BoundedCache } from './bounded-cache';
import type { Clock } from './clock';

export interface CacheLimits<V> {
  /** Nothing read longer ago than this is served, whatever the notifications say. */
  maxAgeMs?: number;
  /** Bound on the summed size of the kept values, as `sizeOf` estimates it. */
  maxBytes?: number;
  sizeOf?: (value: V) => number;
  /** Measures the age of entries; a monotonic clock unless a test gives its own. */
  clock?: Clock;
  /** Told of every read, whether it was served from the cache (metrics). */
  onLookup?: (hit: boolean) => void;
}

const monotonic: Clock = { nowMs: () => performance.now() };

/**
 * A cache that keeps only what it can show to be current. It is emptied on every change
 * notification and at the start and end of every local write; a value read while a write was in
 * flight, or read across a notification, or while the notifications are not live, is returned but
 * not kept. So a reader in this process always sees its own writes, and a change committed anywhere
 * else is seen once its notification arrives, or once the notifications stop being live, or once
 * the value is `maxAgeMs` old, whichever comes first.
 */
export class InvalidatedCache<V> {
  private generation = 0;
  private writes = 0;
  private readonly entries: BoundedCache<string, { value: V; readAt: number }>;
  private readonly maxAgeMs: number;
  private readonly clock: Clock;
  private readonly onLookup: ((hit: boolean) => void) | undefined;

  constructor(
    max: number,
    /** Whether change notifications are being received (ChangeFeed.live). */
    private readonly isLive: () => boolean,
    limits: CacheLimits<V> = {},
  ) {
    this.maxAgeMs = limits.maxAgeMs ?? Infinity;
    this.clock = limits.clock ?? monotonic;
    this.onLookup = limits.onLookup;
    const sizeOf = limits.sizeOf ?? approximateBytes;
    this.entries = new BoundedCache(max, limits.maxBytes === undefined ? undefined : { max: limits.maxBytes, of: (e) => sizeOf(e.value) });
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
    if (kept !== undefined) {
      if (this.clock.nowMs() - kept.readAt < this.maxAgeMs) {
        this.onLookup?.(true);
        return kept.value;
      }
      this.entries.delete(key);
    }
    this.onLookup?.(false);
    const generation = this.generation;
    // The age counts from before the read: the value is at least this fresh.
    const readAt = this.clock.nowMs();
    const value = await load();
    if (value !== null && this.writes === 0 && generation === this.generation && this.isLive()) this.entries.set(key, { value, readAt });
    return value;
  }
}

/**
 * A rough estimate of the heap a plain value holds (strings at two bytes a character, eight bytes a
 * slot, a small header per object), for bounding a cache; not a measurement.
 */
export function approximateBytes(value: unknown, seen = new WeakSet<object>()): number {
  switch (typeof value) {
    case 'string':
      return 16 + 2 * value.length;
    case 'bigint':
      return 24;
    case 'object': {
      if (value === null) return 8;
      if (seen.has(value)) return 8;
      seen.add(value);
      if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
      if (value instanceof Date) return 32;
      let bytes = 16;
      if (Array.isArray(value)) {
        for (const item of value) bytes += 8 + approximateBytes(item, seen);
      } else {
        for (const item of Object.values(value)) bytes += 8 + approximateBytes(item, seen);
      }
      return bytes;
    }
    default:
      return 8;
  }
}
