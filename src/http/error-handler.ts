import http, { type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { classifyDatabaseError } from '../db/database-errors';
import { type ErrorCode, RegistryError } from '../errors';
import type { Logger } from '../logger';
import { SECURITY_HEADERS } from './hygiene';

interface HttpishError {
  type?: string;
  status?: number;
  code?: string;
  errno?: number;
  name?: string;
  message?: string;
  encoding?: string;
  charset?: string;
}

/** Turns whatever was thrown into MLflow's {error_code, message} with MLflow's status. */
function toRegistryError(err: unknown, req: IncomingMessage): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  const e = (err ?? {}) as HttpishError;
  // body-parser's errors (src/http/limits.ts jsonBody).
  if (e.type === 'entity.parse.failed') {
    return new RegistryError('INVALID_PARAMETER_VALUE', `Malformed JSON request body: ${e.message ?? ''}`.trim());
  }
  if (e.type === 'entity.too.large') {
    return new RegistryError('INVALID_PARAMETER_VALUE', 'Request body too large; the limit is MAX_JSON_BODY_BYTES.', { status: 413 });
  }
  if (e.type === 'encoding.unsupported') {
    const encoding = e.encoding ?? String(req.headers['content-encoding']);
    return new RegistryError('BAD_REQUEST', `Unsupported Content-Encoding '${encoding}': send the body as is, or as gzip, deflate or br.`, { status: 415 });
  }
  if (e.type === 'charset.unsupported') {
    return new RegistryError('BAD_REQUEST', `Unsupported charset '${e.charset ?? ''}': JSON bodies are UTF-8.`, { status: 415 });
  }
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid') {
    return new RegistryError('BAD_REQUEST', e.message ?? 'Bad request');
  }
  // A zlib or brotli stream error, given status 400 and no type by body-parser: the bytes are not what Content-Encoding says.
  if (e.type === undefined && e.status === 400 && typeof e.errno === 'number' && req.headers['content-encoding'] !== undefined) {
    return new RegistryError('INVALID_PARAMETER_VALUE', `The request body is not valid ${req.headers['content-encoding']} data (${e.message ?? e.code}).`);
  }
  if (err instanceof URIError) {
    return new RegistryError('INVALID_PARAMETER_VALUE', 'Malformed percent-encoding in the request path or query.');
  }
  if (e.name === 'MulterError') {
    const tooLarge = e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FIELD_VALUE' || e.code === 'LIMIT_FILE_COUNT' || e.code === 'LIMIT_PART_COUNT' || e.code === 'LIMIT_FIELD_COUNT';
    return new RegistryError('INVALID_PARAMETER_VALUE', `Upload rejected: ${e.message ?? e.code}`, { status: tooLarge ? 413 : 400 });
  }
  return classifyDatabaseError(err);
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = toRegistryError(err, req);
    const code: ErrorCode = known?.code ?? 'INTERNAL_ERROR';
    const status = known?.status ?? 500;
    if (status >= 500) {
      logger.error({ err, reqId: req.id, method: req.method, path: req.path }, 'request failed');
    } else if (known !== err && known?.cause === err) {
      // A 4xx only the database noticed: the edge validation or a repository missed it.
      logger.warn({ err, reqId: req.id, method: req.method, path: req.path }, 'database refused the request');
    }
    if (res.headersSent) {
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    if (known?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(known.retryAfterSeconds));
    const message = known?.message ?? `Internal error (request id ${req.id ?? 'unknown'}); see the server log.`;
    res.status(status).json({ error_code: code, message });
  };
}

export function endpointNotFound(req: Request): never {
  throw new RegistryError('ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${req.path}.`);
}

const RAW_SECURITY_HEADERS = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** A whole HTTP/1.1 error answer in MLflow's format, for a socket Express never saw. */
function rawErrorResponse(err: RegistryError): string {
  const body = JSON.stringify({ error_code: err.code, message: err.message });
  return (
    `HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status] ?? ''}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${RAW_SECURITY_HEADERS}Connection: close\r\n\r\n${body}`
  );
}

function parserError(err: NodeJS.ErrnoException): RegistryError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      const limit = http.maxHeaderSize;
      return new RegistryError(
        'BAD_REQUEST',
        `The request line and headers are larger than the server's limit of ${Math.round(limit / 1024)} KB (${limit} bytes); send long values in a JSON body.`,
        { status: 431 },
      );
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new RegistryError('BAD_REQUEST', 'The chunk extensions of the request body are too large.', { status: 413 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RegistryError('DEADLINE_EXCEEDED', 'The request line and headers did not arrive in time; the connection is closed.', { status: 408 });
    case 'HPE_INVALID_METHOD':
      return new RegistryError('BAD_REQUEST', 'Unknown HTTP method; this API answers GET, HEAD, POST, PUT, PATCH and DELETE.');
    default:
      return new RegistryError('BAD_REQUEST', `Malformed HTTP request (${err.message || String(err.code)}).`);
  }
}

/**
 * Requests Node's HTTP parser refuses never reach Express (unknown methods, oversized headers, bad
 * syntax, header timeouts), and Node answers them with an empty body; CONNECT, which has no
 * route, it just drops. Both get MLflow's JSON error here. As Node does, nothing is written when
 * part of an answer to an earlier request on the connection already went out.
 */
export function answerRefusedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawErrorResponse(parserError(err)));
    // Time for the client to read the answer; a socket it keeps open is cut then.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(rawErrorResponse(new RegistryError('BAD_REQUEST', 'CONNECT is not supported: this server is not a proxy.', { status: 405 })));
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
