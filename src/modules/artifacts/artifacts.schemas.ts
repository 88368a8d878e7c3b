import { z } from 'zod';
import path from 'node:path';
import { artifactKey, joinKey } from '../../storage/artifact-key';

const optionalString = z.string().optional();

/** GET /mlflow/artifacts/list (mlflow-api.md §1.3); `run_uuid` is the legacy name of `run_id`. */
export const ListArtifacts = z.object({ run_id: optionalString, run_uuid: optionalString, path: optionalString, page_token: optionalString }).transform((q, ctx) => {
  const runId = q.run_id || q.run_uuid;
  if (!runId) {
    ctx.addIssue({ code: 'custom', path: ['run_id'], message: 'required', input: undefined });
    return z.NEVER;
  }
  return { runId, path: q.path, pageToken: q.page_token };
});
export type ListArtifactsInput = z.output<typeof ListArtifacts>;

/** GET /mlflow-artifacts/artifacts?path= (mlflow-api.md §1.7): the directory's key ('' = the root). */
export const ListArtifactsMlflowArtifacts = z.object({ path: optionalString }).transform((i) => ({ key: artifactKey(i.path ?? '', { allowRoot: true }) }));

/**
 * A wildcard of the URL: Express 5 hands it over as an array of decoded segments (absent when the
 * URL ends before it); artifactKey() checks each and answers 400 for a bad one.
 */
const segments = z.preprocess((v: unknown): unknown => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string()));

/** GET, PUT and DELETE /mlflow-artifacts/artifacts/<path>: the object's key. */
export const ArtifactPath = z.object({ path: segments }).transform((i) => ({ key: artifactKey(i.path) }));

const intLike = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * POST /mlflow-artifacts/mpu/{create,complete,abort}/<dir>: the URL names the directory, the body's
 * `path` is the client's local file, whose basename names the object: `key`.
 */
const multipartKey = (dir: readonly string[], localPath: string) => joinKey(artifactKey(dir, { allowRoot: true }), artifactKey([path.posix.basename(localPath.replace(/\\/g, '/'))]));

const dirAndFile = { dir: segments, path: z.string().min(1) };

export const CreateMultipartUpload = z.object({ ...dirAndFile, num_parts: intLike(1, 10_000).default(1) }).transform((i) => ({ key: multipartKey(i.dir, i.path), num_parts: i.num_parts }));

export const CompleteMultipartUpload = z
  .object({
    ...dirAndFile,
    upload_id: z.string().min(1),
    parts: z.array(z.object({ part_number: intLike(1, 10_000), etag: z.string().min(1), url: optionalString })).min(1),
  })
  .transform((i) => ({ key: multipartKey(i.dir, i.path), upload_id: i.upload_id, parts: i.parts }));

export const AbortMultipartUpload = z.object({ ...dirAndFile, upload_id: z.string().min(1) }).transform((i) => ({ key: multipartKey(i.dir, i.path), upload_id: i.upload_id }));

/** POST /mlflow-artifacts/upload (multipart/form-data, our addition for clients without MLflow). */
export const UploadQuery = z.object({ run_id: optionalString, path: optionalString });
export type UploadQueryInput = z.output<typeof UploadQuery>;
