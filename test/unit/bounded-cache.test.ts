import { BoundedCache } from '../../src/lib/bounded-cache';

describe('BoundedCache', () => {
  it('keeps at most max entries, forgetting the least recently set first', () => {
    const c = new BoundedCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 3); // a is now the newest
    c.set('c', 4);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([3, undefined, 4]);
  });
});
