import { RegistryError } from '../../../errors';

export interface ModelCacheStats {
  /** Models held (ready to serve). */
  models: number;
  /** Their bytes (the size of their ONNX files). */
  bytes: number;
  /** Models evicted but still finishing requests in flight; released when the last one ends. */
  draining: number;
  drainingBytes: number;
  keys: string[];
}

interface Entry<V> {
  key: string;
  value: V;
  bytes: number;
  users: number;
  evicted: boolean;
}

/** What acquire() hands out: the value, and release() to call once the request is done with it. */
export interface Lease<V> {
  value: V;
  release(): void;
}

/**
 * Loaded models by key (a model version's ETag), least recently used first out, bounded by count
 * and bytes. An evicted model still in use by requests in flight stays loaded until the last of
 * them releases it, so an eviction (or a promotion that stops naming it) never fails a request.
 * Concurrent acquires of a key that is loading share the one load.
 */
export class ModelCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<Entry<V>>>();
  private readonly draining = new Set<Entry<V>>();

  constructor(
    private readonly maxModels: number,
    private readonly maxBytes: number,
    private readonly dispose: (value: V) => void,
  ) {}

  async acquire(key: string, load: () => Promise<{ value: V; bytes: number }>, isUsable: (value: V) => boolean = () => true): Promise<Lease<V>> {
    let entry = this.entries.get(key);
    if (entry && !isUsable(entry.value)) {
      this.evict(entry);
      entry = undefined;
    }
    if (entry) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.insert(key, load);
        this.loading.set(key, pending);
        void pending.finally(() => this.loading.delete(key)).catch(() => undefined);
      }
      entry = await pending;
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      value: held.value,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.evicted && held.users === 0) this.finish(held);
      },
    };
  }

  private async insert(key: string, load: () => Promise<{ value: V; bytes: number }>): Promise<Entry<V>> {
    const { value, bytes } = await load();
    if (bytes > this.maxBytes) {
      this.dispose(value);
      throw new RegistryError('RESOURCE_EXHAUSTED', `The model is ${bytes} bytes, more than this server holds for all models together (SERVING_MAX_MODEL_BYTES=${this.maxBytes}).`);
    }
    const entry: Entry<V> = { key, value, bytes, users: 0, evicted: false };
    this.entries.set(key, entry);
    let total = this.bytes();
    for (const oldest of this.entries.values()) {
      if (this.entries.size <= this.maxModels && total <= this.maxBytes) break;
      if (oldest === entry) continue;
      total -= oldest.bytes;
      this.evict(oldest);
    }
    return entry;
  }

  private bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    return total;
  }

  private evict(entry: Entry<V>): void {
    this.entries.delete(entry.key);
    entry.evicted = true;
    if (entry.users === 0) this.finish(entry);
    else this.draining.add(entry);
  }

  private finish(entry: Entry<V>): void {
    this.draining.delete(entry);
    this.dispose(entry.value);
  }

  /** Drops every model not in use now (the rest as their requests end). */
  clear(): void {
    for (const e of [...this.entries.values()]) this.evict(e);
  }

  stats(): ModelCacheStats {
    let drainingBytes = 0;
    for (const e of this.draining) drainingBytes += e.bytes;
    return { models: this.entries.size, bytes: this.bytes(), draining: this.draining.size, drainingBytes, keys: [...this.entries.keys()] };
  }
}
