import { approximateBytes, InvalidatedCache } from '../../src/lib/invalidated-cache';

/** A load the test finishes by hand, so it can change things while the read is in flight. */
function pending<V>() {
  let resolve!: (v: V | null) => void;
  const promise = new Promise<V | null>((r) => (resolve = r));
  return { load: () => promise, resolve };
}

describe('InvalidatedCache', () => {
  let live = true;
  let loads = 0;
  const cache = () => new InvalidatedCache<string>(10, () => live);
  const counted = (value: string | null) => () => {
    loads++;
    return Promise.resolve(value);
  };
  beforeEach(() => {
    live = true;
    loads = 0;
  });

  it('keeps what it read while nothing changed, until invalidated', async () => {
    const c = cache();
    expect(await c.read('m', counted('a'))).toBe('a');
    expect(await c.read('m', counted('b'))).toBe('a');
    c.invalidate();
    expect(await c.read('m', counted('c'))).toBe('c');
    expect(loads).toBe(2);
  });

  it('keeps nothing while the notifications are not live, and nothing that was not found', async () => {
    const c = cache();
    live = false;
    await c.read('m', counted('a'));
    expect(await c.read('m', counted('b'))).toBe('b');
    live = true;
    await c.read('x', counted(null));
    expect(await c.read('x', counted('found'))).toBe('found');
  });

  it('serves and keeps nothing while a write is in flight, and keeps again once it is done', async () => {
    const c = cache();
    await c.read('m', counted('old'));
    const done = c.beginWrite();
    expect(await c.read('m', counted('during'))).toBe('during');
    expect(await c.read('m', counted('during again'))).toBe('during again');
    done();
    done(); // idempotent: one write is counted out once
    expect(await c.read('m', counted('new'))).toBe('new');
    expect(await c.read('m', counted('newer'))).toBe('new');
  });

  it('does not keep a value read across a notification or across a whole write', async () => {
    const c = cache();
    const across = pending<string>();
    const reading = c.read('m', across.load);
    c.invalidate();
    across.resolve('maybe stale');
    expect(await reading).toBe('maybe stale');
    expect(await c.read('m', counted('fresh'))).toBe('fresh');

    c.invalidate();
    const overWrite = pending<string>();
    const reading2 = c.read('m', overWrite.load);
    c.beginWrite()();
    overWrite.resolve('read before the write committed');
    await reading2;
    expect(await c.read('m', counted('after the write'))).toBe('after the write');
  });

  it('forgets its oldest entries past its size', async () => {
    const c = new InvalidatedCache<string>(2, () => true);
    for (const k of ['a', 'b', 'c']) await c.read(k, counted(k));
    expect(await c.read('a', counted('reloaded'))).toBe('reloaded');
    expect(await c.read('c', counted('not reloaded'))).toBe('c');
  });

  it('serves nothing read longer ago than its maximum age, counted from before the read', async () => {
    let now = 1000;
    const c = new InvalidatedCache<string>(10, () => true, { maxAgeMs: 100, clock: { nowMs: () => now } });
    const slow = pending<string>();
    const reading = c.read('m', slow.load);
    now += 40; // the load takes 40 ms: the age starts when it began
    slow.resolve('a');
    await reading;
    now += 59;
    expect(await c.read('m', counted('b'))).toBe('a');
    now += 1;
    expect(await c.read('m', counted('b'))).toBe('b');
    expect(await c.read('m', counted('c'))).toBe('b');
    now += 100;
    expect(await c.read('m', counted('d'))).toBe('d');
    expect(loads).toBe(2);
  });

  it('keeps the summed size of its values under its byte bound, forgetting the oldest first', async () => {
    const c = new InvalidatedCache<string>(100, () => true, { maxBytes: 10, sizeOf: (v) => v.length });
    for (const k of ['aaaa', 'bbbb']) await c.read(k, counted(k));
    await c.read('cccc', counted('cccc')); // 12 bytes: aaaa goes
    expect(await c.read('aaaa', counted('aaaa reloaded'))).toBe('aaaa reloaded');
    // 'aaaa reloaded' alone is over the bound: returned, never kept, and it pushes nothing out.
    expect(await c.read('aaaa', counted('still too big'))).toBe('still too big');
    expect(await c.read('bbbb', counted('x'))).toBe('bbbb');
    expect(await c.read('cccc', counted('x'))).toBe('cccc');
    c.invalidate();
    for (const k of ['1234', '5678']) await c.read(k, counted(k));
    expect(await c.read('1234', counted('x'))).toBe('1234'); // the count restarted at zero
  });

  it('estimates sizes from the strings and slots a value holds', () => {
    const small = approximateBytes({ name: 'm', tags: [] });
    const big = approximateBytes({ name: 'm'.repeat(1000), tags: [{ key: 'k', value: 'v'.repeat(1000) }] });
    expect(big - small).toBeGreaterThanOrEqual(4000);
    expect(approximateBytes({ id: 1n, at: 2, ok: true, none: null })).toBeGreaterThan(0);
    const shared = { s: 'x'.repeat(100) };
    expect(approximateBytes([shared, shared])).toBeLessThan(2 * approximateBytes(shared));
  });
});
