import { FILTER_LIMITS, parseFilter, parseOrderBy } from '../../src/search/filter-parser';

describe('parseFilter', () => {
  it('parses comparisons joined by AND with entity aliases', () => {
    expect(parseFilter("metrics.rmse < 0.5 AND params.lr = '0.1' AND tag.team ILIKE '%f%'")).toEqual([
      { entity: 'metric', key: 'rmse', comparator: '<', value: 0.5 },
      { entity: 'param', key: 'lr', comparator: '=', value: '0.1' },
      { entity: 'tag', key: 'team', comparator: 'ILIKE', value: '%f%' },
    ]);
  });

  it('reads quoted keys, dotted keys, double-quoted strings and negative numbers', () => {
    expect(parseFilter('tags.`my key` = "v" and tags.mlflow.runName != \'x\' and metrics."a b" >= -1.5e2')).toEqual([
      { entity: 'tag', key: 'my key', comparator: '=', value: 'v' },
      { entity: 'tag', key: 'mlflow.runName', comparator: '!=', value: 'x' },
      { entity: 'metric', key: 'a b', comparator: '>=', value: -150 },
    ]);
  });

  it('treats bare identifiers as attributes and parses IN / NOT IN lists', () => {
    expect(parseFilter("run_id IN ('a', 'b') AND attr.run_id NOT IN ('c')")).toEqual([
      { entity: 'attribute', key: 'run_id', comparator: 'IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'run_id', comparator: 'NOT IN', value: ['c'] },
    ]);
  });

  it('returns no comparisons for an empty filter', () => {
    expect(parseFilter(undefined)).toEqual([]);
    expect(parseFilter('   ')).toEqual([]);
  });

  it.each([
    ['metrics.a < 1 OR metrics.b > 2', 'OR is not supported'],
    ['metrics.a <', 'expected a number or a quoted string'],
    ["= 'x'", 'expected an identifier'],
    ["params.a 'x'", 'expected a comparator'],
    ["run_id IN 'x'", 'parenthesised list'],
    ["run_id IN ('x' 'y')", "expected ',' or ')'"],
    ["params.a = 'x' AND", 'expected an identifier'],
    ["params.a = 'x", 'unterminated'],
    ['params.a = 1 ; DROP TABLE runs', 'unexpected character'],
    ["bogus.a = 'x'", "Invalid entity type 'bogus'"],
  ])('rejects %s with INVALID_PARAMETER_VALUE', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(message) }));
  });
});

describe('names of Object.prototype (issue 12)', () => {
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const invalidEntity = (k: string) =>
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- @types/jest types expect.objectContaining() as `any`
    expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: `Invalid entity type '${k}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']` });

  it.each(names)('refuses %s as an entity type, in filters and order_by', (k) => {
    expect(() => parseFilter(`${k}.x = 1`)).toThrow(invalidEntity(k));
    expect(() => parseFilter(`${k}.\`x y\` = 'a'`)).toThrow(invalidEntity(k));
    expect(() => parseFilter(`metrics.a > 1 AND ${k.toUpperCase()}.x = 1`)).toThrow(invalidEntity(k.toUpperCase()));
    expect(() => parseOrderBy([`${k}.x DESC`])).toThrow(invalidEntity(k));
  });

  it.each(names)('reads %s as a plain key, for the endpoint to accept or refuse', (k) => {
    expect(parseFilter(`${k} = 'x' AND tags.${k} = 'y'`)).toEqual([
      { entity: 'attribute', key: k, comparator: '=', value: 'x' },
      { entity: 'tag', key: k, comparator: '=', value: 'y' },
    ]);
    expect(parseOrderBy([k])).toEqual([{ entity: 'attribute', key: k, ascending: true }]);
  });
});

describe('filter caps (issue 13)', () => {
  const comparisons = (n: number) => Array.from({ length: n }, (_, k) => `tags.t${k} = 'v'`).join(' AND ');

  it(`accepts ${FILTER_LIMITS.maxComparisons} comparisons and refuses one more, naming the cap`, () => {
    expect(parseFilter(comparisons(FILTER_LIMITS.maxComparisons))).toHaveLength(FILTER_LIMITS.maxComparisons);
    expect(() => parseFilter(comparisons(FILTER_LIMITS.maxComparisons + 1))).toThrow(
      expect.objectContaining({
        code: 'INVALID_PARAMETER_VALUE',
        message: `Invalid filter: it has more than ${FILTER_LIMITS.maxComparisons} comparisons; at most ${FILTER_LIMITS.maxComparisons} may be joined by AND in one filter.`,
      }),
    );
  });

  it(`accepts ${FILTER_LIMITS.maxLength} characters and refuses longer filters before tokenizing them`, () => {
    const value = (n: number) => 'x'.repeat(n - "tags.a = ''".length);
    expect(parseFilter(`tags.a = '${value(FILTER_LIMITS.maxLength)}'`)).toHaveLength(1);
    const tooLong = `tags.a = '${'x'.repeat(FILTER_LIMITS.maxLength)}`; // unterminated: never tokenized
    expect(() => parseFilter(tooLong)).toThrow(
      expect.objectContaining({
        code: 'INVALID_PARAMETER_VALUE',
        message: `Invalid filter: the filter is ${tooLong.length} characters long; the maximum is ${FILTER_LIMITS.maxLength} characters.`,
      }),
    );
  });

  it('parses an IN list of 2,500 run ids within the length cap', () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `'${i.toString(16).padStart(32, '0')}'`);
    const [c] = parseFilter(`attributes.run_id IN (${ids.join(',')})`);
    expect(c?.value).toHaveLength(2500);
  });

  it('reads numbers beyond the range of a double or a bigint as numbers', () => {
    expect(parseFilter('metrics.a > 1e309 AND start_time < 99999999999999999999 AND metrics.b > -1e309')).toEqual([
      { entity: 'metric', key: 'a', comparator: '>', value: Infinity },
      { entity: 'attribute', key: 'start_time', comparator: '<', value: 1e20 },
      { entity: 'metric', key: 'b', comparator: '>', value: -Infinity },
    ]);
  });
});

describe('parseOrderBy', () => {
  it('parses identifiers with optional direction', () => {
    expect(parseOrderBy(['metrics.rmse DESC', 'name', 'tags.`a b` asc'])).toEqual([
      { entity: 'metric', key: 'rmse', ascending: false },
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'tag', key: 'a b', ascending: true },
    ]);
  });

  it.each(['', 'metrics.rmse DOWN', "'quoted'", 'a b c'])('rejects %j', (clause) => {
    expect(() => parseOrderBy([clause])).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});
