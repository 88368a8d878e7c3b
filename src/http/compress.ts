import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Request, Response } from 'express';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

// Brotli at quality 4 compresses JSON about as well as gzip's default at a fraction of brotli's
// default (11) cost; both run on libuv's thread pool, off the event loop.
const JSON_TYPE = 'application/json; charset=utf-8';

const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } };

/**
 * Writes a JSON answer, compressed with brotli or gzip when it is at least `minBytes` long (0:
 * never) and the client accepts one (Accept-Encoding). Artifact and archive streams do not come
 * here: their bytes are the client's, often compressed already.
 */
export async function sendJson(req: Request, res: Response, answer: object, minBytes: number): Promise<void> {
  const text = JSON.stringify(answer);
  if (minBytes === 0 || text.length < minBytes) {
    res.setHeader('Content-Type', JSON_TYPE);
    res.send(text);
    return;
  }
  res.vary('Accept-Encoding');
  const encoding = req.acceptsEncodings('br', 'gzip');
  if (encoding !== 'br' && encoding !== 'gzip') {
    res.setHeader('Content-Type', JSON_TYPE);
    res.send(text);
    return;
  }
  const body = encoding === 'br' ? await brotli(text, BROTLI) : await gzip(text);
  res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Type', JSON_TYPE);
  res.send(body);
}
