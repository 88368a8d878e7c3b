import { RegistryError } from '../../src/errors';
import { contentTypeFor, parseRange } from '../../src/modules/artifacts/artifact-http';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=2-5', { start: 2, end: 5 }],
    ['bytes=7-', { start: 7, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-30', { start: 0, end: 9 }],
    ['bytes=5-500', { start: 5, end: 9 }],
  ])('reads %j against 10 bytes as %j', (header, range) => {
    expect(parseRange(header, 10)).toEqual(range);
  });

  it.each([undefined, '', 'bytes=-', 'bytes=5-2', 'items=0-1', 'bytes=0-1,3-4', 'bytes=a-b'])('ignores %j (the whole object is sent)', (header) => {
    expect(parseRange(header, 10)).toBeUndefined();
  });

  it.each(['bytes=10-', 'bytes=10-20', 'bytes=-0'])('rejects %j against 10 bytes with 416', (header) => {
    let err: unknown;
    try {
      parseRange(header, 10);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(416);
  });

  it('rejects any range of an empty object', () => {
    expect(() => parseRange('bytes=0-', 0)).toThrow(RegistryError);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['model/MLmodel', 'application/octet-stream'],
    ['a/metrics.json', 'application/json; charset=utf-8'],
    ['a/notes.txt', 'text/plain; charset=utf-8'],
    ['a/model.onnx', 'application/octet-stream'],
    ['a/plot.png', 'image/png'],
    ['a/page.html', 'text/plain; charset=utf-8'],
    ['a/logo.svg', 'text/plain; charset=utf-8'],
    ['a/app.js', 'text/plain; charset=utf-8'],
  ])('types %j as %j', (key, type) => {
    expect(contentTypeFor(key)).toBe(type);
  });
});
