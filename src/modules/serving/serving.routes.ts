import type { Request, Response } from 'express';
import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { receiveFormUpload } from '../artifacts/artifact-upload';
import { sendDownload } from '../artifacts/artifact-http';
import { toApiModelVersion } from '../registry/model-versions.mapper';
import { modelGrant } from '../registry/registry-access';
import * as S from './serving.schemas';
import type { ServedVersion } from './serving.service';

const USE_VIEW = 'a USE caller gets only Production versions and versions behind protected aliases (403 otherwise)';

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
export function servingRoutes(c: Container): AnyRoute[] {
  const serving = c.serving;
  const byName = c.registeredModels.byName((i: { name: string }) => i.name, 'the registered model name in the path');

  return [
    route({
      key: 'registry.archive',
      area: 'registry',
      method: 'GET',
      path: '/models/:name/:selector/archive',
      schema: S.ServedModel,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: "Streams the files of the version a stage, alias, 'latest' or number names, as tar.gz (ETag, 304).",
      handle: async ({ input, principal, granted, req, res }) => {
        const served = await serving.resolve(principal, modelGrant(granted, input.name), input.selector);
        describe(res, served);
        if (notModified(req, served)) {
          res.status(304).end();
          return undefined;
        }
        const archive = await serving.archive(served);
        const fileName = `${served.version.name}-v${served.version.version}.tar.gz`.replace(/[^\w.-]/g, '_');
        res.setHeader('Content-Type', 'application/gzip');
        res.attachment(fileName);
        await archive.writeTo(res);
        return undefined;
      },
    }),
    route({
      key: 'registry.files',
      area: 'registry',
      method: 'GET',
      path: '/models/:name/:selector/files/*path',
      schema: S.ServedFile,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: 'Streams one file of the version a stage, alias, latest or number names (Range, ETag, 304).',
      handle: async ({ input, principal, granted, req, res }) => {
        const served = await serving.resolve(principal, modelGrant(granted, input.name), input.selector);
        const file = await serving.file(served, input.path);
        describe(res, served);
        if (notModified(req, served)) {
          res.status(304).end();
          return undefined;
        }
        await sendDownload(req, res, { key: file.key, size: file.size, writeTo: (out, range) => serving.writeTo(file.key, out, range) }, c.metrics.artifactBytesSent);
        return undefined;
      },
    }),
    // Our addition for users without the MLflow client:
    // curl -F file=@MLmodel -F file=@model.pkl '.../registry/models/<name>/versions?description=...'
    route({
      key: 'registry.versions.upload',
      area: 'registry',
      method: 'POST',
      path: '/models/:name/versions',
      schema: S.VersionUpload,
      from: 'params+query',
      body: 'stream',
      streams: true,
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'EDIT',
        on: byName,
        refine: 'checked before any byte is read; a run_id needs READ on its run, as in model-versions/create',
      },
      summary: 'Registers the files of a multipart/form-data body as a new version (our addition, for curl -F).',
      handle: async ({ input, principal, granted, req, res }) => {
        const model = modelGrant(granted, input.name);
        const { upload } = serving.beginVersionUpload(model, input.path);
        const files = await receiveFormUpload(req, res, upload, c.config.limits, c.metrics.artifactBytesReceived);
        const version = await serving.finishVersionUpload(principal, model, upload, { description: input.description, runId: input.run_id });
        return { model_version: toApiModelVersion(version), files: files.map((f) => ({ path: f.path, file_size: f.size })) };
      },
    }),
  ];
}
