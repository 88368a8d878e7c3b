import { parseModelSource } from '../../src/modules/registry/model-source';
import { canonicalStage, levelForTransition, type Stage } from '../../src/modules/registry/stages';
import { validateAlias, validateNewAlias, validateTag } from '../../src/modules/registry/registry-validation';

describe('stages', () => {
  it.each([
    ['none', 'None'],
    ['STAGING', 'Staging'],
    [' production ', 'Production'],
    ['archived', 'Archived'],
  ])('canonicalises %j to %s', (input, stage) => {
    expect(canonicalStage(input)).toBe(stage);
  });

  it.each(['', 'Deleted_Internal', 'prod', 'Live'])('rejects %j with INVALID_PARAMETER_VALUE', (input) => {
    expect(() => canonicalStage(input)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it.each<[Stage, Stage, string]>([
    ['None', 'Staging', 'MANAGE_STAGING'],
    ['Staging', 'None', 'MANAGE_STAGING'],
    ['Staging', 'Archived', 'MANAGE_STAGING'],
    ['Archived', 'Staging', 'MANAGE_STAGING'],
    ['None', 'None', 'MANAGE_STAGING'],
    ['None', 'Archived', 'MANAGE_PRODUCTION'],
    ['Archived', 'None', 'MANAGE_PRODUCTION'],
    ['Staging', 'Production', 'MANAGE_PRODUCTION'],
    ['Production', 'Archived', 'MANAGE_PRODUCTION'],
    ['Production', 'None', 'MANAGE_PRODUCTION'],
  ])('a move %s → %s needs %s', (from, to, level) => {
    expect(levelForTransition(from, to)).toBe(level);
  });
});

describe('aliases and tags', () => {
  it.each(['champion', 'A-b_9', 'x'.repeat(255), 'v', 'v1a', 'latest2'])('accepts alias %j', (alias) => {
    expect(() => validateNewAlias(alias)).not.toThrow();
  });

  it.each(['latest', 'LATEST', 'v1', 'V22', 'a.b', 'a b', 'é', 'x'.repeat(256)])('rejects alias %j to set', (alias) => {
    expect(() => validateNewAlias(alias)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it.each(['latest', 'LATEST', 'v1'])('reads alias %j, which names a version', (alias) => {
    expect(() => validateAlias(alias)).not.toThrow();
  });

  it.each(['a.b', 'a b', 'é', 'x'.repeat(256)])('rejects alias %j to read', (alias) => {
    expect(() => validateAlias(alias)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it.each(['a', 'a/b', 'mlflow.note: x', 'key-1_2'])('accepts tag key %j', (key) => {
    expect(() => validateTag(key, 'v')).not.toThrow();
  });

  it.each(['/a', 'a/', 'a//b', 'a/../b', './a', 'a$b', 'k'.repeat(251)])('rejects tag key %j', (key) => {
    expect(() => validateTag(key, 'v')).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('rejects tag values over 5000 characters', () => {
    expect(() => validateTag('k', 'x'.repeat(5001))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});

describe('model version sources', () => {
  const run = 'a'.repeat(32);
  it.each([
    [`runs:/${run}/model`, { kind: 'run', runId: run, path: 'model' }],
    [`runs:/${run}`, { kind: 'run', runId: run, path: '' }],
    [`runs:/${run}/a/b/`, { kind: 'run', runId: run, path: 'a/b' }],
    ['models:/churn/3', { kind: 'registry', name: 'churn', selector: { version: 3 } }],
    ['models:/churn/production', { kind: 'registry', name: 'churn', selector: { stage: 'Production' } }],
    ['models:/churn/Latest', { kind: 'registry', name: 'churn', selector: { latest: true } }],
    ['models:/churn@champion', { kind: 'registry', name: 'churn', selector: { alias: 'champion' } }],
    [`models:/m-${'0'.repeat(32)}`, { kind: 'logged-model', modelId: `m-${'0'.repeat(32)}` }],
    ['mlflow-artifacts:/1/abc/artifacts/model', { kind: 'proxied', key: '1/abc/artifacts/model' }],
    ['s3://bucket/path/model', { kind: 'external' }],
    ['gs://b/x..y', { kind: 'external' }],
  ])('parses %s', (source, parsed) => {
    expect(parseModelSource(source)).toEqual(parsed);
  });

  it.each([
    'mlflow-artifacts:/1/../2',
    's3://b/%2e%2e/x',
    's3://b/%2E%2E/x',
    's3://b/%252e%252e/x',
    's3://b/a\\..\\x',
    's3://b/a\u0000',
    's3://b/a%00',
    '/abs/path',
    'relative/path',
    'C:\\models\\m',
    'file:///tmp/m',
    'runs:/',
    'models:/',
    'models:/a/b/c',
    'models:/a/Bogus',
  ])('rejects %j', (source) => {
    expect(() => parseModelSource(source)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});
