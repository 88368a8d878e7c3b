import { InvalidatedCache } from '../../src/lib/invalidated-cache';

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
  const counted = (value: string | null) => async () => {
    loads++;
    return value;
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
});
