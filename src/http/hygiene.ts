import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RegistryError } from '../errors';

/**
 * HTTP hygiene (README "Operations"): security headers, the Host allow-list (DNS rebinding) and
 * CORS with an explicit allow-list of origins.
 */

/**
 * On every response: set by app.ts's first middleware, by the metrics server, and written into the
 * raw answers to requests Express never sees (error-handler.ts). The CSP suits API/JSON answers and
 * downloads (an HTML artifact opened in a browser runs nothing); a page (the API reference) sets its own.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

export function setSecurityHeaders(res: Response): void {
  for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]!);
}

/** Probes address the pod or container by IP: they need no listed host. */
const HOST_EXEMPT = new Set(['/health', '/ready']);

/**
 * Refuses requests whose Host header is not in `allowed` (403 PERMISSION_DENIED): a page on a
 * rebinding domain that now resolves to this server still sends its own name as Host. An entry
 * without a port matches every port.
 */
export function hostGuard(allowed: readonly string[]): RequestHandler {
  const exact = new Set(allowed);
  const anyPort = new Set(allowed.filter((h) => !/:\d+$/.test(h)));
  return (req: Request, _res: Response, next: NextFunction) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (exact.has(host) || anyPort.has(host.replace(/:\d+$/, '')) || HOST_EXEMPT.has(req.path)) {
      next();
      return;
    }
    const shown = host.length > 100 ? `${host.slice(0, 100)}...` : host;
    next(new RegistryError('PERMISSION_DENIED', `Host '${shown}' is not allowed; set ALLOWED_HOSTS`));
  };
}

const ALLOW_METHODS = 'GET,POST,PUT,PATCH,DELETE';
/** What the MLflow clients and a browser UI send beyond the safelisted headers. */
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id, If-None-Match, Content-Encoding';
const EXPOSE_HEADERS = 'X-Request-Id, ETag, Retry-After, Content-Disposition';
const MAX_AGE_SECONDS = '600';

/**
 * CORS for the listed origins only. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here, before authentication: 204, with the allow
 * headers only for a listed origin (an unlisted one gets a bare 204, which the browser treats as a
 * refusal). No Access-Control-Allow-Credentials: the API takes bearer tokens, never cookies.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const listed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && listed.has(origin.toLowerCase());
    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      if (allowed) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
        res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
        res.setHeader('Access-Control-Max-Age', MAX_AGE_SECONDS);
      }
      res.status(204).end();
      return;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    next();
  };
}
