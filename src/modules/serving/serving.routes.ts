import { type Request, type Response, Router } from 'express';
import type { Container } from '../../container';
import { z } from 'zod';
import { principalOf } from '../../http/principal';
import { parseQuery } from '../../http/validate';
import { receiveFormUpload } from '../artifacts/artifact-upload';
import { toApiModelVersion } from '../model-versions/model-versions.mapper';
import { sendDownload } from '../artifacts/artifact-http';
import type { ServedVersion } from './serving.service';

function describe(res: Response, served: ServedVersion): void {
  res.setHeader('ETag', served.etag);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Registry-Model-Name', encodeURIComponent(served.version.name));
  res.setHeader('X-Registry-Model-Version', String(served.version.version));
  res.setHeader('X-Registry-Model-Stage', served.version.currentStage);
}

/** If-None-Match names the current version: answer 304 and send nothing. */
function notModified(req: Request, served: ServedVersion): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === served.etag || tag.trim() === '*');
}

/**
 * Serving fetch (README "Serving models"): GET /api/2.0/registry/models/<name>/<stage|@alias|latest|n>/archive
 * streams the model directory as tar.gz; .../files/<path> streams one file.
 */
export function servingRoutes(c: Container): Router {
  const router = Router();

  router.get('/models/:name/:selector/archive', async (req, res) => {
    const served = await c.serving.resolve(principalOf(req), req.params.name, req.params.selector);
    describe(res, served);
    if (notModified(req, served)) {
      res.status(304).end();
      return;
    }
    const archive = await c.serving.archive(served);
    const fileName = `${served.version.name}-v${served.version.version}.tar.gz`.replace(/[^\w.-]/g, '_');
    res.setHeader('Content-Type', 'application/gzip');
    res.attachment(fileName);
    await archive.writeTo(res);
  });

  router.get('/models/:name/:selector/files/*path', async (req, res) => {
    const served = await c.serving.resolve(principalOf(req), req.params.name, req.params.selector);
    const file = await c.serving.file(served, req.params.path as unknown as string[]);
    describe(res, served);
    if (notModified(req, served)) {
      res.status(304).end();
      return;
    }
    await sendDownload(req, res, { key: file.key, size: file.size, writeTo: (out, range) => c.serving.writeTo(file.key, out, range) }, c.metrics.artifactBytesSent);
  });

  // Our addition for users without the MLflow client:
  // curl -F file=@MLmodel -F file=@model.pkl '.../registry/models/<name>/versions?description=...'
  router.post('/models/:name/versions', async (req, res) => {
    const q = parseQuery(VersionUploadQuery, req);
    const p = principalOf(req);
    const { upload } = await c.serving.beginVersionUpload(p, req.params.name, q.path);
    const files = await receiveFormUpload(req, res, upload, c.config.limits, c.metrics.artifactBytesReceived);
    const version = await c.serving.finishVersionUpload(p, req.params.name, upload, { description: q.description, runId: q.run_id });
    res.json({ model_version: toApiModelVersion(version), files: files.map((f) => ({ path: f.path, file_size: f.size })) });
  });

  return router;
}

const VersionUploadQuery = z.object({
  path: z.string().optional(),
  description: z.string().max(5000).optional(),
  run_id: z.string().optional(),
});
