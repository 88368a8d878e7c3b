import { RegistryError, statusForCode } from '../../src/errors';
import { decodePageToken, encodePageToken, pageOf } from '../../src/lib/page-token';

describe('MLflow error codes', () => {
  it.each([
    ['INVALID_PARAMETER_VALUE', 400],
    ['RESOURCE_ALREADY_EXISTS', 400],
    ['RESOURCE_DOES_NOT_EXIST', 404],
    ['ENDPOINT_NOT_FOUND', 404],
    ['PERMISSION_DENIED', 403],
    ['UNAUTHENTICATED', 401],
    ['NOT_IMPLEMENTED', 501],
    ['TEMPORARILY_UNAVAILABLE', 503],
    ['INTERNAL_ERROR', 500],
  ] as const)('%s answers HTTP %i', (code, status) => {
    expect(statusForCode(code)).toBe(status);
    expect(new RegistryError(code, 'x').status).toBe(status);
  });

  it('lets a caller override the status while keeping the code', () => {
    expect(new RegistryError('INVALID_STATE', 'x', { status: 400 }).status).toBe(400);
  });
});

describe('page tokens', () => {
  it('round-trips an offset', () => {
    expect(decodePageToken(encodePageToken(1234))).toBe(1234);
    expect(decodePageToken(undefined)).toBe(0);
    expect(decodePageToken('')).toBe(0);
  });

  it.each(['not-base64-json', Buffer.from('{"offset":-1}').toString('base64'), Buffer.from('{"x":1}').toString('base64')])(
    'rejects the malformed token %s with INVALID_PARAMETER_VALUE',
    (token) => {
      expect(() => decodePageToken(token)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    },
  );

  it('emits a next token only when more rows than the page size were fetched', () => {
    expect(pageOf([1, 2, 3], 0, 3)).toEqual({ items: [1, 2, 3] });
    const page = pageOf([1, 2, 3, 4], 10, 3);
    expect(page.items).toEqual([1, 2, 3]);
    expect(decodePageToken(page.nextPageToken)).toBe(13);
  });
});
