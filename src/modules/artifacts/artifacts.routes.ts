import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../../container';
import { invalidParameter } from '../../errors';
import { type AnyRoute, route } from '../../http/route-table';
import { artifactKey } from '../../storage/artifact-key';
import { sendDownload } from './artifact-http';
import { receiveFormUpload } from './artifact-upload';
import { toApiDirectoryEntry, toApiFileInfo, toApiMultipartCredential } from './artifacts.mapper';
import * as S from './artifacts.schemas';

const OWNER = "the key's owner: the experiment of '<experiment_id>/…', the model of 'registry/<model_id>/…', else administrators only";

/** `GET /mlflow/artifacts/list` and MLflow's artifact proxy (mlflow-api.md §1.3, §1.7). */
export function artifactsRoutes(c: Container): AnyRoute[] {
  const artifacts = c.artifacts;
  const owner = c.artifactAccess.owner((i: { key: string }) => i.key, OWNER);
  const mpu = (step: 'create' | 'complete' | 'abort') => ({
    area: 'mlflow-artifacts' as const,
    method: 'POST' as const,
    path: [`/mpu/${step}`, `/mpu/${step}/*dir`],
    from: 'params+body' as const,
    access: { kind: 'resource' as const, type: 'owner' as const, level: 'EDIT' as const, on: owner },
  });

  return [
    route({
      key: 'artifacts.list',
      area: 'mlflow',
      method: 'GET',
      path: '/artifacts/list',
      schema: S.ListArtifacts,
      from: 'query',
      access: {
        kind: 'resource',
        type: 'experiment',
        level: 'READ',
        on: c.runs.experimentOf((i: { runId: string }) => i.runId),
        refine: "the service also needs READ on the owner of the run's artifact root",
      },
      summary: "A run's artifacts under a directory, as paths relative to the run's artifact root.",
      handle: async ({ input, principal }) => {
        const listing = await artifacts.listRunArtifacts(principal, input);
        return {
          root_uri: listing.rootUri,
          ...(listing.files.length > 0 ? { files: listing.files.map((f) => toApiFileInfo(f.path, f.isDir, f.size)) } : {}),
          ...(listing.nextPageToken ? { next_page_token: listing.nextPageToken } : {}),
        };
      },
    }),
    route({
      key: 'mlflow-artifacts.list',
      area: 'mlflow-artifacts',
      method: 'GET',
      path: '/artifacts',
      schema: S.ListArtifactsMlflowArtifacts,
      from: 'query',
      body: 'stream',
      access: { kind: 'resource', type: 'owner', level: 'READ', on: owner },
      summary: "A directory's children (a file or missing path lists as none).",
      handle: async ({ input }) => {
        const entries = await artifacts.listDirectory(input.key);
        return entries.length > 0 ? { files: entries.map(toApiDirectoryEntry) } : {};
      },
    }),
    route({
      key: 'mlflow-artifacts.get',
      area: 'mlflow-artifacts',
      method: 'GET',
      path: '/artifacts/*path',
      schema: S.ArtifactPath,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'owner', level: 'READ', on: owner },
      summary: "Streams one artifact's bytes (Range supported).",
      handle: async ({ input, req, res }) => {
        await sendDownload(req, res, await artifacts.download(input.key), c.metrics.artifactBytesSent);
        return undefined;
      },
    }),
    route({
      key: 'mlflow-artifacts.put',
      area: 'mlflow-artifacts',
      method: 'PUT',
      path: '/artifacts/*path',
      schema: S.ArtifactPath,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'owner', level: 'EDIT', on: owner },
      summary: 'Stores the raw request body as one artifact; nothing is visible unless all of it arrived.',
      handle: async ({ input, req }) => {
        const length = req.headers['content-length'];
        const size = length === undefined ? undefined : Number(length);
        c.metrics.artifactBytesReceived(await artifacts.upload(input.key, req, { size, contentType: req.headers['content-type'] }));
        return {};
      },
    }),
    route({
      key: 'mlflow-artifacts.delete',
      area: 'mlflow-artifacts',
      method: 'DELETE',
      path: '/artifacts/*path',
      schema: S.ArtifactPath,
      from: 'params',
      body: 'stream',
      access: { kind: 'resource', type: 'owner', level: 'MANAGE', on: owner },
      summary: 'Removes an artifact and everything below it.',
      handle: async ({ input }) => {
        await artifacts.remove(input.key);
        return {};
      },
    }),
    route({
      ...mpu('create'),
      key: 'mlflow-artifacts.mpu.create',
      schema: S.CreateMultipartUpload,
      summary: 'Starts a multipart upload; answers presigned part URLs (S3 stores only; 501 otherwise).',
      handle: async ({ input }) => {
        const { uploadId, parts } = await artifacts.createMultipartUpload(input.key, input);
        return { upload_id: uploadId, credentials: parts.map(toApiMultipartCredential) };
      },
    }),
    route({
      ...mpu('complete'),
      key: 'mlflow-artifacts.mpu.complete',
      schema: S.CompleteMultipartUpload,
      summary: 'Completes a multipart upload from its parts.',
      handle: async ({ input }) => {
        await artifacts.completeMultipartUpload(input.key, input);
        return {};
      },
    }),
    route({
      ...mpu('abort'),
      key: 'mlflow-artifacts.mpu.abort',
      schema: S.AbortMultipartUpload,
      summary: 'Aborts a multipart upload.',
      handle: async ({ input }) => {
        await artifacts.abortMultipartUpload(input.key, input);
        return {};
      },
    }),
    // Our addition for clients without MLflow: curl -F file=@model.onnx -F path=model/ '.../upload?run_id=<id>'.
    route({
      key: 'mlflow-artifacts.upload',
      area: 'mlflow-artifacts',
      method: 'POST',
      path: '/upload',
      schema: S.UploadQuery,
      from: 'query',
      body: 'stream',
      streams: true,
      access: {
        kind: 'resource',
        type: 'owner',
        level: 'EDIT',
        on: {
          via: "the run_id's experiment, else the owner of the path",
          find: (i) => {
            if (i.run_id !== undefined) return c.runs.ofRun(i.run_id);
            if (i.path === undefined) throw invalidParameter("Pass run_id, or path (relative to the artifact root, e.g. '1/<run_id>/artifacts/model') in the query string.");
            return c.artifactAccess.ownerOf(artifactKey(i.path, { allowRoot: true }));
          },
        },
        refine: "with run_id, the service also needs EDIT on the owner of the run's artifact root",
      },
      summary: 'Uploads the files of a multipart/form-data body (our addition, for curl -F).',
      handle: async ({ input, principal, req, res }) => {
        const upload = await artifacts.beginFormUpload(principal, { runId: input.run_id, dir: input.path });
        const files = await receiveFormUpload(req, res, upload, c.config.limits, c.metrics.artifactBytesReceived);
        return { files: files.map((f) => toApiFileInfo(f.path, false, f.size)) };
      },
    }),
  ];
}

/**
 * The artifact proxy's errors: a body we stopped reading (a refused upload) closes the connection
 * instead of draining gigabytes; Express 5 fails to decode a malformed %-escape in the path with a
 * bare URIError (a 500 otherwise).
 */
export function artifactErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (!req.complete) res.setHeader('Connection', 'close');
  if (err instanceof URIError) return next(invalidParameter(`Invalid artifact path: malformed percent-encoding in '${req.path}'.`));
  next(err);
}
