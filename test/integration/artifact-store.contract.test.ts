import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { RegistryError } from '../../src/errors';
import type { ArtifactStore } from '../../src/storage/artifact-store';
import { LocalArtifactStore } from '../../src/storage/local-artifact-store';
import { S3ArtifactStore } from '../../src/storage/s3-artifact-store';
import { TEST_ENV } from '../helpers/env';
import { failingAfter, generated, sha256Of, textOf } from './artifact-streams';

const text = (s: string) => Readable.from([Buffer.from(s)]);

/** A destination that keeps a copy of everything written into it. */
function collector(): Writable & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(out, { bytes: () => Buffer.concat(chunks) });
}

async function errorOf(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error('expected a RegistryError');
}

async function keysUnder(store: ArtifactStore, dir: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const f of store.walk(dir)) keys.push(f.key);
  return keys.sort();
}

const s3Config = (bucket: string, port = TEST_ENV.s3Port()) => ({
  endpoint: `http://127.0.0.1:${port}`,
  bucket,
  accessKey: 'S3RVER',
  secretKey: 'S3RVER',
  region: 'us-east-1',
});

const stores: Array<[string, () => Promise<ArtifactStore>]> = [
  ['local filesystem', async () => new LocalArtifactStore(await fs.mkdtemp(path.join(os.tmpdir(), 'registry-contract-')))],
  ['S3 (minio client → S3 test server)', async () => new S3ArtifactStore(s3Config(`c${Math.random().toString(36).slice(2, 12)}`))],
];

describe.each(stores)('ArtifactStore contract: %s', (_name, make) => {
  let store: ArtifactStore;

  beforeAll(async () => {
    store = await make();
    await store.init();
    await store.init(); // idempotent
  });
  afterAll(async () => {
    await store.close();
    if (store instanceof LocalArtifactStore) await fs.rm(path.dirname(store.root), { recursive: true, force: true });
  });

  it('streams an object in and out, reporting its size', async () => {
    const { size } = await store.put('1/run/artifacts/hello.txt', text('hello world'), { contentType: 'text/plain' });
    expect(size).toBe(11);
    expect(await textOf(await store.get('1/run/artifacts/hello.txt'))).toBe('hello world');
    expect((await store.stat('1/run/artifacts/hello.txt'))?.size).toBe(11);
  });

  it('replaces an existing object on put', async () => {
    await store.put('replace/x', text('first version'));
    await store.put('replace/x', text('second'));
    expect(await textOf(await store.get('replace/x'))).toBe('second');
    expect((await store.stat('replace/x'))?.size).toBe(6);
  });

  it('stores empty objects', async () => {
    await store.put('empty/zero.bin', Readable.from([]), { size: 0 });
    await store.put('empty/zero-unknown.bin', Readable.from([]));
    expect((await store.stat('empty/zero.bin'))?.size).toBe(0);
    expect((await store.stat('empty/zero-unknown.bin'))?.size).toBe(0);
    expect(await textOf(await store.get('empty/zero.bin'))).toBe('');
  });

  it('reads an inclusive byte range', async () => {
    await store.put('range/abc', text('0123456789'));
    expect(await textOf(await store.get('range/abc', { start: 2, end: 5 }))).toBe('2345');
    expect(await textOf(await store.get('range/abc', { start: 9, end: 9 }))).toBe('9');
  });

  it('writes an object, or a range of it, into a stream and ends it', async () => {
    const size = 3 * 1024 * 1024 + 12_345; // several of the local store's 1 MiB buffers, the last one partial
    await store.put('send/big.bin', generated(size, 9), { size });
    const whole = collector();
    await store.writeTo('send/big.bin', whole);
    expect(whole.writableFinished).toBe(true);
    expect(await sha256Of(Readable.from([whole.bytes()]))).toEqual(await sha256Of(generated(size, 9)));

    const tail = collector();
    await store.writeTo('send/big.bin', tail, { start: size - 1_048_577, end: size - 1 });
    expect(tail.bytes().equals(whole.bytes().subarray(size - 1_048_577))).toBe(true);

    await store.put('send/abc', text('0123456789'));
    const range = collector();
    await store.writeTo('send/abc', range, { start: 2, end: 5 });
    expect(range.bytes().toString()).toBe('2345');

    await store.put('send/empty', text(''));
    const empty = collector();
    await store.writeTo('send/empty', empty);
    expect(empty.writableFinished).toBe(true);
    expect(empty.bytes().length).toBe(0);
  });

  it('answers RESOURCE_DOES_NOT_EXIST from writeTo before writing anything', async () => {
    const out = collector();
    expect((await errorOf(store.writeTo('missing/nothing', out))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(out.bytes().length).toBe(0);
    expect(out.writableEnded).toBe(false);
  });

  it('rejects writeTo when the destination fails midway, and stays usable', async () => {
    const size = 3 * 1024 * 1024;
    await store.put('send/fails.bin', generated(size, 4), { size });
    let seen = 0;
    const out = new Writable({
      write(chunk: Buffer, _e, done) {
        seen += chunk.length;
        done(seen > 1024 * 1024 ? new Error('client went away') : null);
      },
    });
    out.on('error', () => undefined);
    await expect(store.writeTo('send/fails.bin', out)).rejects.toThrow();
    const again = collector();
    await store.writeTo('send/fails.bin', again);
    expect(again.bytes().length).toBe(size);
  });

  it('answers RESOURCE_DOES_NOT_EXIST for a missing object and undefined from stat', async () => {
    expect((await errorOf(store.get('missing/nothing'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await store.stat('missing/nothing')).toBeUndefined();
  });

  it('does not treat a directory as an object', async () => {
    await store.put('dirobj/inner/file', text('x'));
    expect(await store.stat('dirobj/inner')).toBeUndefined();
    expect((await errorOf(store.get('dirobj/inner'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('lists the immediate children of a directory, sorted, directories without sizes', async () => {
    await store.put('tree/b.txt', text('bb'));
    await store.put('tree/a.txt', text('a'));
    await store.put('tree/model/MLmodel', text('flavors: {}'));
    await store.put('tree/only-dirs/deeper/deepest/leaf.bin', text('leaf'));
    await store.put('tree/ü ñ/space file.txt', text('unicode'));
    await store.put('treehouse/not-a-child', text('x'));
    expect(await store.list('tree')).toEqual([
      { name: 'a.txt', isDir: false, size: 1 },
      { name: 'b.txt', isDir: false, size: 2 },
      { name: 'model', isDir: true },
      { name: 'only-dirs', isDir: true },
      { name: 'ü ñ', isDir: true },
    ]);
    expect(await store.list('tree/only-dirs')).toEqual([{ name: 'deeper', isDir: true }]);
  });

  it('lists a file key, a missing directory and the children of the root', async () => {
    await store.put('rootlist/f', text('x'));
    expect(await store.list('rootlist/f')).toEqual([]);
    expect(await store.list('no/such/dir')).toEqual([]);
    expect(await store.list('')).toEqual(expect.arrayContaining([{ name: 'rootlist', isDir: true }]));
  });

  it('lists directories with more entries than one listing page', async () => {
    await Promise.all(Array.from({ length: 1105 }, (_, i) => store.put(`many/f${String(i).padStart(4, '0')}`, text('x'))));
    await store.put('many/sub/x', text('x'));
    const listed = await store.list('many');
    expect(listed).toHaveLength(1106);
    expect(listed[1104]).toEqual({ name: 'f1104', isDir: false, size: 1 });
    expect(listed[1105]).toEqual({ name: 'sub', isDir: true });
  });

  it('walks every object below a directory with store-relative keys', async () => {
    await store.put('walk/a', text('1'));
    await store.put('walk/d/b', text('22'));
    await store.put('walk/d/e/c', text('333'));
    await store.put('walker/not-inside', text('x'));
    const files: Array<{ key: string; size: number }> = [];
    for await (const f of store.walk('walk')) files.push(f);
    expect(files.sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual([
      { key: 'walk/a', size: 1 },
      { key: 'walk/d/b', size: 2 },
      { key: 'walk/d/e/c', size: 3 },
    ]);
  });

  it('removes an object, or a directory recursively, and nothing that merely shares a name prefix', async () => {
    await store.put('rm/1/x', text('x'));
    await store.put('rm/1/sub/y', text('y'));
    await store.put('rm/10/z', text('z'));
    await store.put('rm/1.txt', text('t'));
    await store.remove('rm/1');
    expect(await keysUnder(store, 'rm')).toEqual(['rm/1.txt', 'rm/10/z']);
    await store.remove('rm/1.txt');
    expect(await store.list('rm')).toEqual([{ name: '10', isDir: true }]);
    await store.remove('rm/10/z');
    expect(await store.list('')).not.toEqual(expect.arrayContaining([{ name: 'rm', isDir: true }]));
    await store.remove('rm/never-existed'); // no error
  });

  it('copies an object', async () => {
    await store.put('copy/src.txt', text('copy me'));
    await store.copy('copy/src.txt', 'copy/dst/dst.txt');
    expect(await textOf(await store.get('copy/dst/dst.txt'))).toBe('copy me');
    expect((await errorOf(store.copy('copy/missing', 'copy/x'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('moves an object, replacing the target, and hides reserved staging names from listings', async () => {
    await store.put('.registry-upload-0123abcd', text('staged'));
    expect(await store.list('')).not.toEqual(expect.arrayContaining([expect.objectContaining({ name: '.registry-upload-0123abcd' })]));
    await store.put('move/dst/x.bin', text('old'));
    await store.move('.registry-upload-0123abcd', 'move/dst/x.bin');
    expect(await textOf(await store.get('move/dst/x.bin'))).toBe('staged');
    expect(await store.stat('.registry-upload-0123abcd')).toBeUndefined();
    expect((await errorOf(store.move('move/missing', 'move/y'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('round-trips 20 MiB of unknown length byte for byte (S3: a multipart upload)', async () => {
    const size = 20 * 1024 * 1024 + 17;
    const expected = await sha256Of(generated(size, 42));
    const { size: stored } = await store.put('big/unknown-length.bin', generated(size, 42));
    expect(stored).toBe(size);
    expect(await sha256Of(await store.get('big/unknown-length.bin'))).toEqual(expected);
  });

  it('round-trips a body of announced length byte for byte', async () => {
    const size = 3 * 1024 * 1024 + 5;
    const expected = await sha256Of(generated(size, 7));
    await store.put('big/known-length.bin', generated(size, 7), { size });
    expect(await sha256Of(await store.get('big/known-length.bin'))).toEqual(expected);
  });

  it('leaves no object, and the previous one intact, when the body fails midway', async () => {
    await expect(store.put('fail/new.bin', failingAfter(1000))).rejects.toBeInstanceOf(RegistryError);
    expect(await store.stat('fail/new.bin')).toBeUndefined();
    expect(await store.list('fail')).toEqual([]);

    await store.put('fail/existing.bin', text('keep me'));
    const err = await errorOf(store.put('fail/existing.bin', failingAfter(100), { size: 5000 }));
    expect(err.code).toBe('CANCELLED');
    expect(await textOf(await store.get('fail/existing.bin'))).toBe('keep me');
    expect(await store.list('fail')).toEqual([{ name: 'existing.bin', isDir: false, size: 7 }]);
  });

  it('fails with INVALID_PARAMETER_VALUE, storing nothing, when the body is shorter or longer than announced', async () => {
    expect((await errorOf(store.put('len/short', text('abc'), { size: 10 }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(store.put('len/long', text('abcdef'), { size: 2 }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect(await store.list('len')).toEqual([]);
  });

  it('keeps parallel writers to one directory apart', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`par/f${i}`, text(`value ${i}`))));
    const values = await Promise.all(Array.from({ length: 20 }, async (_, i) => textOf(await store.get(`par/f${i}`))));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `value ${i}`));
  });
});

describe('S3ArtifactStore specifics', () => {
  it('offers multipart uploads whose presigned part URLs assemble one object', async () => {
    const store = new S3ArtifactStore(s3Config(`m${Math.random().toString(36).slice(2, 12)}`));
    await store.init();
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('the tail');
    const { uploadId, parts } = await store.multipart.create('mpu/model.bin', 2);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2]);
    const etags = [];
    for (const [i, body] of [part1, part2].entries()) {
      const res = await fetch(parts[i]!.url, { method: 'PUT', body });
      expect(res.status).toBe(200);
      etags.push({ partNumber: i + 1, etag: res.headers.get('etag')! });
    }
    expect(await store.stat('mpu/model.bin')).toBeUndefined(); // nothing visible before complete
    await store.multipart.complete('mpu/model.bin', uploadId, etags);
    expect((await store.stat('mpu/model.bin'))?.size).toBe(part1.length + part2.length);
    await store.close();
  });

  it('answers TEMPORARILY_UNAVAILABLE when the S3 endpoint cannot be reached', async () => {
    const store = new S3ArtifactStore(s3Config('unreachable', 1));
    for (const op of [store.init(), store.stat('a'), store.get('a'), store.list('a'), store.put('a', text('x'), { size: 1 }), store.remove('a')]) {
      expect((await errorOf(op)).code).toBe('TEMPORARILY_UNAVAILABLE');
    }
    expect((await errorOf(store.put('a', text('x')))).code).toBe('TEMPORARILY_UNAVAILABLE');
    expect((await errorOf(store.init())).message).toMatch(/^Artifact storage is unavailable: checking\/creating bucket 'unreachable' at S3_ENDPOINT failed \(\w+\); retry shortly\.$/);
    await store.close();
  });
});
