import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sendFileRange } from '../../src/storage/streams';

const MiB = 1024 * 1024;

/** A file in memory; `maxRead` caps what one read returns, as a short read from the disk would. */
function fileOf(content: Buffer, maxRead = Infinity) {
  return {
    read(buffer: Buffer, offset: number, length: number, position: number) {
      const n = Math.max(0, Math.min(length, maxRead, content.length - position));
      content.copy(buffer, offset, position, position + n);
      return Promise.resolve({ bytesRead: n });
    },
  };
}

/**
 * A slow destination, like a socket that takes a while to send each chunk: it holds on to the
 * chunk it was given (no copy) until its write is done, and fails the test if the chunk's bytes
 * changed in the meantime.
 */
function slowDestination() {
  const received: Buffer[] = [];
  const changedWhileWriting: number[] = [];
  const out = new Writable({
    write(chunk: Buffer, _e, done) {
      const copy = Buffer.from(chunk);
      setTimeout(() => {
        if (!chunk.equals(copy)) changedWhileWriting.push(received.length);
        received.push(copy);
        done();
      }, 2);
    },
  });
  return { out, received: () => Buffer.concat(received), changedWhileWriting };
}

describe('sendFileRange', () => {
  it('sends a file of several buffers, never refilling a buffer that is still being written', async () => {
    const content = randomBytes(5 * MiB + 777);
    const { out, received, changedWhileWriting } = slowDestination();
    await sendFileRange(fileOf(content), out, 0, content.length);
    expect(changedWhileWriting).toEqual([]);
    expect(received().equals(content)).toBe(true);
    expect(out.writableFinished).toBe(true);
  });

  it('sends a range, also when the file answers with short reads', async () => {
    const content = randomBytes(3 * MiB);
    const { out, received, changedWhileWriting } = slowDestination();
    await sendFileRange(fileOf(content, 300_000), out, 1000, 2 * MiB);
    expect(changedWhileWriting).toEqual([]);
    expect(received().equals(content.subarray(1000, 1000 + 2 * MiB))).toBe(true);
  });

  it('ends the destination for an empty range', async () => {
    const { out, received } = slowDestination();
    await sendFileRange(fileOf(Buffer.alloc(0)), out, 0, 0);
    expect(received().length).toBe(0);
    expect(out.writableFinished).toBe(true);
  });

  it('rejects when the file ends before the range does', async () => {
    const { out } = slowDestination();
    await expect(sendFileRange(fileOf(randomBytes(1000)), out, 0, 2000)).rejects.toThrow(/1000 bytes before the expected end/);
  });

  it('rejects, and reads no further, once the destination is gone', async () => {
    const content = randomBytes(4 * MiB);
    let reads = 0;
    const file = fileOf(content);
    const counting = { read: (...args: Parameters<typeof file.read>) => (reads++, file.read(...args)) };
    const { out } = slowDestination();
    out.on('error', () => undefined);
    const sending = sendFileRange(counting, out, 0, content.length);
    out.destroy(new Error('client went away'));
    await expect(sending).rejects.toThrow();
    expect(reads).toBeLessThanOrEqual(2);
  });
});
