import type { Request, Response } from 'express';
import type { Container } from '../../container';
import { type AnyRoute, type Call, route } from '../../http/route-table';
import { receiveFormUpload } from '../artifacts/artifact-upload';
import { sendDownload } from '../artifacts/artifact-http';
import { toApiModelVersion } from '../registry/model-versions.mapper';
import { modelGrant } from '../registry/registry-access';
import { invocationsRoute } from './predictions.routes';
import * as S from './serving.schemas';
import type { ArchiveFormat, ServedVersion } from './serving.service';

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
 * Serving fetch (README "Serving"): GET /api/2.0/registry/models/<name>/<stage|@alias|latest|n>/archive
 * streams the model directory as tar.gz; .../files/<path> streams one file.
 */
export function servingRoutes(c: Container): AnyRoute[] {
  const serving = c.serving;
  const byName = c.registeredModels.byName((i: { name: string }) => i.name, 'the registered model name in the path');

  /** `.../archive[.tar.gz|.zip]`: one answer for every form (same ETag: it names the version, not the bytes' form). */
  const sendArchive = async ({ input, principal, granted, req, res }: Call<S.ServedModelInput>, format: ArchiveFormat): Promise<undefined> => {
    const served = await serving.resolve(principal, modelGrant(granted, input.name), input.selector);
    describe(res, served);
    if (notModified(req, served)) {
      res.status(304).end();
      return undefined;
    }
    const archive = await serving.archive(served, format);
    const fileName = `${served.version.name}-v${served.version.version}.${format}`.replace(/[^\w.-]/g, '_');
    res.attachment(fileName);
    // After attachment(), which guesses a type from the name: stock tools check this one (KServe insists on it).
    res.setHeader('Content-Type', format === 'zip' ? 'application/zip' : 'application/gzip');
    await archive.writeTo(res);
    return undefined;
  };

  return [
    route({
      key: 'registry.archive',
      area: 'registry',
      method: 'GET',
      // `.tar.gz`: KServe's storage initializer and `curl | tar xz` pick the unpacker from the URL's ending.
      path: ['/models/:name/:selector/archive', '/models/:name/:selector/archive.tar.gz'],
      schema: S.ServedModel,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: "Streams the files of the version a stage, alias, 'latest' or number names, as tar.gz (ETag, 304).",
      handle: (call) => sendArchive(call, 'tar.gz'),
    }),
    route({
      key: 'registry.archive.zip',
      area: 'registry',
      method: 'GET',
      path: '/models/:name/:selector/archive.zip',
      schema: S.ServedModel,
      from: 'params',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: "Streams the files of the version a stage, alias, 'latest' or number names, as zip (ETag, 304).",
      handle: (call) => sendArchive(call, 'zip'),
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
    // MLflow's UI reads a version's files (its MLmodel first) through this Flask route; READ, as in MLflow's auth rules.
    route({
      key: 'model-versions.get-artifact',
      area: 'mlflow',
      method: 'GET',
      path: '/model-versions/get-artifact',
      schema: S.GetModelVersionArtifact,
      from: 'query',
      body: 'stream',
      streams: true,
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: c.modelVersions.modelOf },
      summary: "Streams one file of a model version (MLflow UI's model-versions/get-artifact; Range supported).",
      handle: async ({ input, principal, granted, req, res }) => {
        const served = await serving.resolve(principal, modelGrant(granted, input.name), { version: input.version });
        const file = await serving.file(served, input.path);
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
    // POST /api/2.0/serving/models/<name>/<selector>/invocations: ONNX predictions (predictions.routes.ts).
    invocationsRoute(c),
  ];
}
