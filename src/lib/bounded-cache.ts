/** An optional second bound: the summed weight (e.g. approximate bytes) of the kept values. */
export interface WeightBound<V> {
  max: number;
  of(value: V): number;
}

/**
 * A Map that forgets its oldest entries past `max` (and, given a weight bound, past its weight). Alone,
 * for facts that never change once known (a run's experiment, a verified token), so every replica
 * may keep its own copy without invalidation; InvalidatedCache builds on it for facts that do change.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();
  private readonly weights = new Map<K, number>();
  private weight = 0;

  constructor(
    private readonly max: number,
    private readonly weighed?: WeightBound<V>,
  ) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  clear(): void {
    this.entries.clear();
    this.weights.clear();
    this.weight = 0;
  }

  delete(key: K): void {
    this.entries.delete(key);
    const w = this.weights.get(key);
    if (w !== undefined) {
      this.weights.delete(key);
      this.weight -= w;
    }
  }

  /** Keeps the value as the newest entry; one heavier than the whole weight bound is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    if (this.weighed) {
      const w = this.weighed.of(value);
      if (w > this.weighed.max) return;
      this.weights.set(key, w);
      this.weight += w;
    }
    this.entries.set(key, value);
    while (this.entries.size > this.max || (this.weighed && this.weight > this.weighed.max)) {
      this.delete(this.entries.keys().next().value as K);
    }
  }
}
