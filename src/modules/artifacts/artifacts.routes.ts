import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Container } from '../../container';
import { invalidParameter } from '../../errors';
import { jsonRequest } from '../../http/limits';
import { principalOf } from '../../http/principal';
import { parseBody, parseQuery } from '../../http/validate';
import { sendDownload } from './artifact-http';
import { receiveFormUpload } from './artifact-upload';
import { toApiDirectoryEntry, toApiFileInfo, toApiMultipartCredential } from './artifacts.mapper';
import {
  AbortMultipartUpload,
  CompleteMultipartUpload,
  CreateMultipartUpload,
  ListArtifacts,
  ListArtifactsMlflowArtifacts,
  UploadQuery,
} from './artifacts.schemas';

/** Express 5 hands a named wildcard over as an array of decoded segments; artifactKey() checks each. */
const segmentsOf = (req: Request): string[] => {
  const value: unknown = req.params.path;
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
};

/** `GET /mlflow/artifacts/list`, mounted in mlflow-router.ts. */
export function artifactsRoutes(c: Container): Router {
  const router = Router();
  router.get('/artifacts/list', async (req, res) => {
    const input = parseQuery(ListArtifacts, req);
    const listing = await c.artifacts.listRunArtifacts(principalOf(req), input);
    res.json({
      root_uri: listing.rootUri,
      ...(listing.files.length > 0 ? { files: listing.files.map((f) => toApiFileInfo(f.path, f.isDir, f.size)) } : {}),
      ...(listing.nextPageToken ? { next_page_token: listing.nextPageToken } : {}),
    });
  });
  return router;
}

/**
 * MLflow's artifact proxy (mlflow-api.md §1.7), mounted by app.ts under /api/2.0/mlflow-artifacts
 * and /ajax-api/2.0/mlflow-artifacts behind authentication. PUT takes the raw body (no JSON
 * parser here); only the mpu endpoints parse JSON.
 */
export function artifactsProxyRoutes(c: Container): Router {
  const router = Router();
  const json = jsonRequest(c.config.limits.jsonBodyBytes);

  router.get('/artifacts', async (req, res) => {
    const { path } = parseQuery(ListArtifactsMlflowArtifacts, req);
    const entries = await c.artifacts.listDirectory(principalOf(req), path);
    res.json(entries.length > 0 ? { files: entries.map(toApiDirectoryEntry) } : {});
  });

  router.get('/artifacts/*path', async (req, res) => {
    const download = await c.artifacts.download(principalOf(req), segmentsOf(req));
    await sendDownload(req, res, download, c.metrics.artifactBytesSent);
  });

  router.put('/artifacts/*path', async (req, res) => {
    const length = req.headers['content-length'];
    const size = length === undefined ? undefined : Number(length);
    c.metrics.artifactBytesReceived(await c.artifacts.upload(principalOf(req), segmentsOf(req), req, { size, contentType: req.headers['content-type'] }));
    res.json({});
  });

  router.delete('/artifacts/*path', async (req, res) => {
    await c.artifacts.remove(principalOf(req), segmentsOf(req));
    res.json({});
  });

  // The URL names the directory; the body's `path` is the client's local file, whose basename names the object.
  router.post(['/mpu/create', '/mpu/create/*path'], json, async (req, res) => {
    const input = parseBody(CreateMultipartUpload, req);
    const { uploadId, parts } = await c.artifacts.createMultipartUpload(principalOf(req), segmentsOf(req), input);
    res.json({ upload_id: uploadId, credentials: parts.map(toApiMultipartCredential) });
  });

  router.post(['/mpu/complete', '/mpu/complete/*path'], json, async (req, res) => {
    const input = parseBody(CompleteMultipartUpload, req);
    await c.artifacts.completeMultipartUpload(principalOf(req), segmentsOf(req), input);
    res.json({});
  });

  router.post(['/mpu/abort', '/mpu/abort/*path'], json, async (req, res) => {
    const input = parseBody(AbortMultipartUpload, req);
    await c.artifacts.abortMultipartUpload(principalOf(req), segmentsOf(req), input);
    res.json({});
  });

  // Our addition for clients without MLflow: curl -F file=@model.onnx -F path=model/ '.../upload?run_id=<id>'.
  router.post('/upload', async (req, res) => {
    const query = parseQuery(UploadQuery, req);
    const upload = await c.artifacts.beginFormUpload(principalOf(req), { runId: query.run_id, dir: query.path });
    const files = await receiveFormUpload(req, res, upload, c.config.limits, c.metrics.artifactBytesReceived);
    res.json({ files: files.map((f) => toApiFileInfo(f.path, false, f.size)) });
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    // A body we stopped reading (rejected upload): close the connection instead of draining gigabytes.
    if (!req.complete) res.setHeader('Connection', 'close');
    // Express 5 fails to decode a malformed %-escape in the path with a bare URIError (→ 500 otherwise).
    if (err instanceof URIError) return next(invalidParameter(`Invalid artifact path: malformed percent-encoding in '${req.path}'.`));
    next(err);
  });
  return router;
}
