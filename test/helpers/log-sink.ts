import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

/** A logger at `level` whose JSON lines are collected, parsed (`lines`) and as written (`raw`). */
export function logSink(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) {
        if (l.trim() === '') continue;
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, logger: createLogger(level, stream) };
}
