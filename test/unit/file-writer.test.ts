import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileWriter } from '../../src/storage/streams';

const MiB = 1024 * 1024;

/** Cuts `content` into chunks of the given sizes, round and round, as a socket would deliver them. */
function chunked(content: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < content.length; k++) {
    const n = sizes[k % sizes.length]!;
    chunks.push(content.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

/**
 * A file in memory whose writes take a while; `maxWrite` caps what one write takes, as a short
 * write would. Fails the test (changedWhileWriting) if a buffer's bytes change while it is
 * being written, i.e. if the writer refilled a buffer too early.
 */
function slowFile(maxWrite = Infinity, failAt?: number) {
  const written = Buffer.alloc(64 * MiB);
  let size = 0;
  const changedWhileWriting: number[] = [];
  let calls = 0;
  const file = {
    write(buffer: Buffer, offset: number, length: number, position: number) {
      calls++;
      const n = Math.min(length, maxWrite);
      const copy = Buffer.from(buffer.subarray(offset, offset + n));
      return new Promise<{ bytesWritten: number }>((resolve, reject) =>
        setTimeout(() => {
          if (failAt !== undefined && position + n > failAt) return reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
          if (!copy.equals(buffer.subarray(offset, offset + n))) changedWhileWriting.push(position);
          copy.copy(written, position);
          size = Math.max(size, position + n);
          resolve({ bytesWritten: n });
        }, 1),
      );
    },
  };
  return { file, content: () => written.subarray(0, size), changedWhileWriting, calls: () => calls };
}

describe('fileWriter', () => {
  it('writes every byte in order, a MiB per write, never refilling a buffer still being written', async () => {
    const content = randomBytes(5 * MiB + 12_345);
    const f = slowFile();
    const out = fileWriter(f.file);
    await pipeline(chunked(content, [65_536, 100, 300_000, 1]), out);
    expect(f.changedWhileWriting).toEqual([]);
    expect(f.content().equals(content)).toBe(true);
    expect(out.bytes()).toBe(content.length);
    expect(f.calls()).toBe(6); // five full MiBs and the rest
  });

  it('carries on after short writes, and takes chunks larger than its buffers', async () => {
    const content = randomBytes(3 * MiB + 7);
    const f = slowFile(200_000);
    const out = fileWriter(f.file, 256 * 1024);
    await pipeline(chunked(content, [MiB + 3]), out);
    expect(f.changedWhileWriting).toEqual([]);
    expect(f.content().equals(content)).toBe(true);
    expect(out.bytes()).toBe(content.length);
  });

  it('writes nothing for an empty body', async () => {
    const f = slowFile();
    const out = fileWriter(f.file);
    await pipeline(Readable.from([]), out);
    expect(out.bytes()).toBe(0);
    expect(f.content().length).toBe(0);
  });

  it("fails the pipeline with the file's error, in the middle and in the last write", async () => {
    for (const failAt of [MiB + 5, 3 * MiB - 1]) {
      const out = fileWriter(slowFile(Infinity, failAt).file);
      await expect(pipeline(chunked(randomBytes(3 * MiB), [65_536]), out)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(out.destroyed).toBe(true);
    }
  });

  it('fails, rather than spinning, when a write takes no bytes', async () => {
    const out = fileWriter(slowFile(0).file);
    await expect(pipeline(chunked(randomBytes(2 * MiB), [65_536]), out)).rejects.toThrow('The file took no bytes at offset 0.');
  });

  it('writes a real file on disk', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'file-writer-'));
    try {
      const content = randomBytes(2 * MiB + 999);
      const handle = await fs.open(path.join(dir, 'f.bin'), 'wx');
      const out = fileWriter(handle);
      await pipeline(chunked(content, [16_384, 65_536]), out);
      await handle.close();
      expect((await fs.readFile(path.join(dir, 'f.bin'))).equals(content)).toBe(true);
      expect(out.bytes()).toBe(content.length);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
