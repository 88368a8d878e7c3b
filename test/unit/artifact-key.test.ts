import { RegistryError } from '../../src/errors';
import { artifactKey, joinKey, keyOfArtifactUri, relativeKey } from '../../src/storage/artifact-key';

function rejection(path: string | string[], options?: { allowRoot?: boolean }): RegistryError {
  try {
    artifactKey(path, options);
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(path)} to be rejected`);
}

describe('artifactKey', () => {
  it.each([
    ['model/MLmodel', 'model/MLmodel'],
    ['model/', 'model'],
    ['1/0123abcd/artifacts/a b/ü.txt', '1/0123abcd/artifacts/a b/ü.txt'],
    ['..foo/bar..', '..foo/bar..'],
    ['.hidden/x', '.hidden/x'],
    ['a%ZZ', 'a%ZZ'],
  ])('accepts the string %j as key %j', (input, key) => {
    expect(artifactKey(input)).toBe(key);
  });

  it('joins wildcard segments into a key', () => {
    expect(artifactKey(['1', 'run', 'artifacts', 'model.pkl'])).toBe('1/run/artifacts/model.pkl');
  });

  it.each([
    '../etc/passwd',
    'a/../../b',
    'a/./b',
    '.',
    '..',
    '/etc/passwd',
    'C:/Windows',
    'c:evil',
    'a\\..\\b',
    'a//b',
    'a/b//',
    'a\u0000b',
    'a\nb',
    'a/%2e%2e/b',
    'a/%2E%2E',
    'a/..%2Fb',
    'a/%2F',
    'a/%5C',
    'a/%00',
    '.registry-upload-0123.tmp',
    `${'x'.repeat(256)}`,
    `${'abcdefgh/'.repeat(120)}x`,
  ])('rejects the string %j with INVALID_PARAMETER_VALUE', (input) => {
    const err = rejection(input);
    expect(err.code).toBe('INVALID_PARAMETER_VALUE');
    expect(err.status).toBe(400);
  });

  it.each([[['a', '..', 'b']], [['a', 'x/y']], [['..%2Fetc']], [['a', '']], [['', 'a']], [['a\\b']], [['a\u0000']], [['.']]])(
    'rejects the wildcard segments %j (a decoded %%2F hides inside one segment)',
    (segments) => {
      expect(rejection(segments).code).toBe('INVALID_PARAMETER_VALUE');
    },
  );

  it('allows the root only when asked', () => {
    expect(rejection('').code).toBe('INVALID_PARAMETER_VALUE');
    expect(rejection([]).code).toBe('INVALID_PARAMETER_VALUE');
    expect(artifactKey('', { allowRoot: true })).toBe('');
    expect(artifactKey([], { allowRoot: true })).toBe('');
    expect(rejection('/', { allowRoot: true }).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('does not echo control characters back in the message', () => {
    expect(rejection('a\u0000b').message).not.toContain('\u0000');
  });
});

describe('joinKey and relativeKey', () => {
  it('joins keys skipping the root', () => {
    expect(joinKey('', '1', '', 'a/b')).toBe('1/a/b');
  });

  it('relativises keys inside a directory only', () => {
    expect(relativeKey('1/r/artifacts', '1/r/artifacts/m/x')).toBe('m/x');
    expect(relativeKey('1/r/artifacts', '1/r/artifactsX/m')).toBeUndefined();
    expect(relativeKey('', 'a/b')).toBe('a/b');
    expect(relativeKey('a', 'a')).toBe('');
  });
});

describe('keyOfArtifactUri', () => {
  it.each([
    ['mlflow-artifacts:/1/abc/artifacts', '1/abc/artifacts'],
    ['mlflow-artifacts:/1/abc/artifacts/', '1/abc/artifacts'],
    ['mlflow-artifacts://tracking:5000/2/models/m-1/artifacts', '2/models/m-1/artifacts'],
    ['mlflow-artifacts:/', ''],
    ['mlflow-artifacts:', ''],
  ])('maps %j to the store key %j', (uri, key) => {
    expect(keyOfArtifactUri(uri)).toBe(key);
  });

  it('ignores URIs this server does not serve', () => {
    expect(keyOfArtifactUri('s3://bucket/1/abc')).toBeUndefined();
    expect(keyOfArtifactUri('file:///tmp/mlruns')).toBeUndefined();
  });

  it('rejects unsafe proxied paths', () => {
    expect(() => keyOfArtifactUri('mlflow-artifacts:/1/../../etc')).toThrow(RegistryError);
  });
});
