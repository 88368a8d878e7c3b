import { parseFilter, parseOrderBy } from '../../src/search/filter-parser';

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
    ["metrics.a < 1 OR metrics.b > 2", 'OR is not supported'],
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
