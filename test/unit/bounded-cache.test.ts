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

  describe('with a weight bound', () => {
    const weighed = () => new BoundedCache<string, string>(100, { max: 10, of: (v) => v.length });
    const kept = (c: BoundedCache<string, string>, ...keys: string[]) => keys.map((k) => c.get(k));

    it('forgets the oldest entries until the summed weight is within the bound', () => {
      const c = weighed();
      c.set('a', 'xxxx');
      c.set('b', 'xxxx');
      c.set('c', 'xx'); // 10: all fit
      expect(kept(c, 'a', 'b', 'c')).toEqual(['xxxx', 'xxxx', 'xx']);
      c.set('d', 'xxx'); // 13: a goes, 9 left
      expect(kept(c, 'a', 'b', 'c', 'd')).toEqual([undefined, 'xxxx', 'xx', 'xxx']);
      c.set('e', 'xxxxxxx'); // 16: b and c go, 10 left
      expect(kept(c, 'b', 'c', 'd', 'e')).toEqual([undefined, undefined, 'xxx', 'xxxxxxx']);
    });

    it('counts a replaced value once, and frees the weight of deleted and cleared entries', () => {
      const c = weighed();
      c.set('a', 'xxxxxxxx');
      c.set('a', 'x'); // 1, not 9
      c.set('b', 'xxxxxxxxx'); // 10
      expect(kept(c, 'a', 'b')).toEqual(['x', 'xxxxxxxxx']);
      c.delete('b');
      c.set('c', 'xxxxxxxxx'); // 10 again
      expect(kept(c, 'a', 'c')).toEqual(['x', 'xxxxxxxxx']);
      c.clear();
      c.set('d', 'xxxxxxxxxx'); // 10 from zero
      expect(kept(c, 'a', 'c', 'd')).toEqual([undefined, undefined, 'xxxxxxxxxx']);
    });

    it('keeps no value heavier than the whole bound, pushing nothing out for it and forgetting the old value of its key', () => {
      const c = weighed();
      c.set('a', 'xxxx');
      c.set('b', 'xxxx');
      c.set('a', 'x'.repeat(11));
      expect(kept(c, 'a', 'b')).toEqual([undefined, 'xxxx']);
    });

    it('still applies the entry count', () => {
      const c = new BoundedCache<string, string>(2, { max: 1000, of: (v) => v.length });
      for (const k of ['a', 'b', 'c']) c.set(k, k);
      expect(kept(c, 'a', 'b', 'c')).toEqual([undefined, 'b', 'c']);
    });
  });
});
