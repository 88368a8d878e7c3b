import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';

/**
 * The web UI (web/, built by `npm run build:web` into web/dist): static files and the single-page
 * app's fallback. Mounted after the API, so API paths never reach it and keep their JSON 404s.
 */

/** For the UI's pages only; API answers keep the strict default of hygiene.ts. */
export const WEB_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // uPlot and React set inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the service, never to the UI's client-side routes. */
const SERVICE_PATHS = /^\/(api|ajax-api|health|ready|version|metrics)(\/|$)/;

/** Where the build puts the UI, from src/ (tsx) or dist/ (compiled) alike. */
export const DEFAULT_WEB_DIST = path.resolve(__dirname, '..', '..', 'web', 'dist');

export function webUiRouter(distDir: string = DEFAULT_WEB_DIST): Router {
  const router = Router();
  const indexFile = path.join(distDir, 'index.html');
  const isUiRequest = (req: Request) => (req.method === 'GET' || req.method === 'HEAD') && !SERVICE_PATHS.test(req.path);
  const uiHeaders: RequestHandler = (req, res, next) => {
    if (!isUiRequest(req)) return next();
    res.setHeader('Content-Security-Policy', WEB_UI_CSP);
    next();
  };
  router.use(uiHeaders);

  if (!fs.existsSync(indexFile)) {
    router.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send(`The web UI is not built (no ${indexFile}). Run \`npm run build:web\` (npm ci runs it), then reload.\nThe API is served under /api/2.0 and /ajax-api/2.0.\n`);
    });
    return router;
  }

  // Vite names every asset by its content hash, so they can be cached for good.
  router.use('/assets', express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', index: false }));
  router.use(express.static(distDir, { index: false, maxAge: 0, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!isUiRequest(req) || path.extname(req.path) !== '') return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile, (err) => {
      if (err) next(err);
    });
  });
  return router;
}
