import { likePrefixRange } from '../../src/search/sql';

describe('likePrefixRange: the strings a LIKE pattern can match, in code point order', () => {
  it.each([
    ['x%', { from: 'x', below: 'y', whole: true }],
    ['model-9%%', { from: 'model-9', below: 'model-:', whole: true }],
    ['ab_c%', { from: 'ab', below: 'ac', whole: false }],
    ['abc', { from: 'abc', below: 'abd', whole: false }],
    // An escaped wildcard is a literal character of the prefix; a trailing escape ends it.
    ['x\\%y%', { from: 'x%y', below: 'x%z', whole: true }],
    ['x\\_%', { from: 'x_', below: 'x`', whole: true }],
    ['x\\', { from: 'x', below: 'y', whole: false }],
    // Code points, not UTF-16 units: an astral character is raised as one; the surrogates are skipped.
    ['é%', { from: 'é', below: 'ê', whole: true }],
    ['a😀%x', { from: 'a😀', below: 'a😁', whole: false }],
    ['a\u{d7ff}%', { from: 'a\u{d7ff}', below: 'a\u{e000}', whole: true }],
    // The last code point cannot be raised: a lower bound only.
    ['a\u{10ffff}%', { from: 'a\u{10ffff}', whole: false }],
  ])('%s → %j', (pattern, range) => {
    expect(likePrefixRange(pattern)).toEqual(range);
  });

  it.each(['%x', '_x', ''])('has no range for %j, which starts with a wildcard or is empty', (pattern) => {
    expect(likePrefixRange(pattern)).toBeUndefined();
  });
});
