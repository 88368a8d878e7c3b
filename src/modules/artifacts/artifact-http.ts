import type { Writable } from 'node:stream';
import type { Request, Response } from 'express';
import mime from 'mime-types';
import { RegistryError } from '../../errors';
import type { ByteRange } from '../../storage/artifact-store';

/**
 * Types a browser would run or render are served as text/plain: artifacts are user content, and
 * attachment + nosniff alone do not cover every client.
 */
const ACTIVE_TYPES = new Set(['text/html', 'application/xhtml+xml', 'image/svg+xml', 'application/javascript', 'text/javascript', 'application/xml', 'text/xml']);

export function contentTypeFor(key: string): string {
  const type = mime.lookup(key) || 'application/octet-stream';
  if (ACTIVE_TYPES.has(type)) return 'text/plain; charset=utf-8';
  const charset = mime.charset(type);
  return charset ? `${type}; charset=${charset.toLowerCase()}` : type;
}

/**
 * One `Range: bytes=…` range against an object of `size` bytes (RFC 9110 §14): undefined means
 * "send everything" (no header, several ranges, or a form we ignore); an unsatisfiable range is 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // syntactically invalid: ignored, like no header
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): RegistryError {
  return new RegistryError('INVALID_PARAMETER_VALUE', `Requested range not satisfiable; the artifact has ${size} bytes.`, {
    status: 416,
  });
}

/** An artifact the caller may read, not yet opened (HEAD never opens it). */
export interface Download {
  key: string;
  size: number;
  /** Writes the bytes, or the range, into `out` and ends it. */
  writeTo(out: Writable, range?: ByteRange): Promise<void>;
}

/**
 * Writes the download headers MLflow sends (attachment, guessed type, nosniff) and streams the
 * bytes; `onSent` is told their number once all were written (metrics).
 */
export async function sendDownload(req: Request, res: Response, d: Download, onSent?: (bytes: number) => void): Promise<void> {
  let range: ByteRange | undefined;
  try {
    range = parseRange(req.headers.range, d.size);
  } catch (err) {
    res.setHeader('Content-Range', `bytes */${d.size}`);
    throw err;
  }
  const name = d.key.slice(d.key.lastIndexOf('/') + 1);
  res.attachment(name);
  res.setHeader('Content-Type', contentTypeFor(name));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${d.size}`);
  }
  const length = range ? range.end - range.start + 1 : d.size;
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await d.writeTo(res, range);
    onSent?.(length);
  } catch (err) {
    // The client went away mid-download: nothing to answer, and not a server failure.
    if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
