import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '../../config';
import { invalidParameter, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import { decodePageToken, encodePageToken } from '../../lib/page-token';
import { artifactKey, joinKey, keyOfArtifactUri, TEMP_NAME_PREFIX } from '../../storage/artifact-key';
import type { ArtifactEntry, ArtifactStore, PresignedPart } from '../../storage/artifact-store';
import { byteLimit } from '../../storage/streams';
import type { RunGate } from '../runs/run-gate';
import type { ArtifactAccess } from './artifact-access';
import type { Download } from './artifact-http';
import type { ListArtifactsInput } from './artifacts.schemas';

/** MLflow's client falls back to a single PUT only on 501 with exactly this prefix (mlflow-api.md §3.3). */
export const MULTIPART_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository';

/** artifacts/list page size: MLflow never pages this listing and the UI ignores tokens, so pages are large. */
const LIST_PAGE_SIZE = 10_000;

export interface RunArtifactListing {
  rootUri: string;
  files: Array<{ path: string; isDir: boolean; size?: number }>;
  nextPageToken?: string;
}

/**
 * The artifact proxy (`/api/2.0/mlflow-artifacts/...`) and run artifact listing. Every path is
 * checked by artifactKey() and authorized by ArtifactAccess before the store is touched.
 *
 * Deleting a run or experiment is a soft delete and leaves its artifacts in place (MLflow does the
 * same until `mlflow gc`): restoring the run brings them back. They stay until an operator
 * removes them (DELETE on the proxy path, or in the bucket/directory directly).
 */
export class ArtifactsService {
  constructor(
    private readonly store: ArtifactStore,
    private readonly access: ArtifactAccess,
    private readonly runs: RunGate,
    private readonly limits: Config['limits'],
  ) {}

  /** PUT: streams the body into the store; nothing is visible under the key unless all of it arrived. Returns the bytes stored. */
  async upload(key: string, body: Readable, meta: { size?: number; contentType?: string }): Promise<number> {
    if (meta.size !== undefined && meta.size > this.limits.uploadBytes) throw this.tooLarge();
    // With a Content-Length the HTTP parser already stops at that many bytes; count only chunked bodies.
    if (meta.size !== undefined) return (await this.store.put(key, body, meta)).size;
    const limited = body.pipe(byteLimit(this.limits.uploadBytes, this.tooLarge().message));
    body.once('error', (err) => limited.destroy(err));
    return (await this.store.put(key, limited, meta)).size;
  }

  tooLarge(): RegistryError {
    return new RegistryError('INVALID_PARAMETER_VALUE', `Upload rejected: an artifact may have at most ${this.limits.uploadBytes} bytes (MAX_UPLOAD_BYTES).`, {
      status: 413,
    });
  }

  async download(key: string): Promise<Download> {
    const stat = await this.store.stat(key);
    if (!stat) throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `No artifact at '${key}'.`);
    return { key, size: stat.size, writeTo: (out, range) => this.store.writeTo(key, out, range) };
  }

  /** GET /mlflow-artifacts/artifacts?path=: the directory's children as basenames; a file or missing path lists as []. */
  listDirectory(key: string): Promise<ArtifactEntry[]> {
    return this.store.list(key);
  }

  /** DELETE: the object and everything below it. */
  async remove(key: string): Promise<void> {
    await this.store.remove(key);
  }

  /**
   * GET /mlflow/artifacts/list: run-relative paths under the run's artifact root, which `p` must be
   * able to read too (a run's root follows its experiment's artifact location).
   */
  async listRunArtifacts(p: Principal, input: ListArtifactsInput): Promise<RunArtifactListing> {
    const relative = artifactKey(input.path ?? '', { allowRoot: true });
    const offset = decodePageToken(input.pageToken);
    const run = await this.runs.find(input.runId);
    const root = keyOfArtifactUri(run.artifactUri);
    // A root on another scheme (s3://, file:) is not ours to read: an empty listing, as MLflow
    // shows for a location it cannot see, rather than an error on every UI visit.
    if (root === undefined) return { rootUri: run.artifactUri, files: [] };
    const dir = joinKey(root, relative);
    await this.access.authorize(p, dir, 'read');
    const entries = await this.store.list(dir);
    const page = entries.slice(offset, offset + LIST_PAGE_SIZE);
    return {
      rootUri: run.artifactUri,
      files: page.map((e) => ({ path: joinKey(relative, e.name), isDir: e.isDir, size: e.size })),
      ...(offset + LIST_PAGE_SIZE < entries.length ? { nextPageToken: encodePageToken(offset + LIST_PAGE_SIZE) } : {}),
    };
  }

  /** mpu/create/<dir>: the object is `key`, `<dir>/<basename of the client's local file>` (multipartKey). */
  createMultipartUpload(key: string, input: { num_parts: number }): Promise<{ uploadId: string; parts: PresignedPart[] }> {
    return this.multipart().create(key, input.num_parts);
  }

  async completeMultipartUpload(key: string, input: { upload_id: string; parts: Array<{ part_number: number; etag: string }> }): Promise<void> {
    const parts = [...input.parts].sort((a, b) => a.part_number - b.part_number);
    await this.multipart().complete(
      key,
      input.upload_id,
      parts.map((x) => ({ partNumber: x.part_number, etag: x.etag })),
    );
  }

  async abortMultipartUpload(key: string, input: { upload_id: string }): Promise<void> {
    await this.multipart().abort(key, input.upload_id);
  }

  private multipart() {
    if (!this.store.multipart) throw new RegistryError('NOT_IMPLEMENTED', MULTIPART_UNSUPPORTED);
    return this.store.multipart;
  }

  /**
   * Starts a multipart/form-data upload (artifact-upload.ts drives it): with `runId`, files go
   * under the run's artifact root and `dir` is relative to it; without, `dir` is relative to the
   * store root and required, so access is decided before any byte is read.
   */
  async beginFormUpload(p: Principal, input: { runId?: string; dir?: string }): Promise<FormUpload> {
    let root = '';
    if (input.runId !== undefined) {
      const run = await this.runs.find(input.runId);
      const runRoot = keyOfArtifactUri(run.artifactUri);
      if (runRoot === undefined) {
        throw invalidParameter(`Run '${input.runId}' keeps its artifacts at ${run.artifactUri}, which this server does not serve; upload there directly.`);
      }
      root = runRoot;
    } else if (input.dir === undefined) {
      throw invalidParameter("Pass run_id, or path (relative to the artifact root, e.g. '1/<run_id>/artifacts/model') in the query string.");
    }
    const upload = new FormUpload(this.store, root, this.limits.uploadBytes);
    if (input.dir !== undefined) upload.setDirectory(input.dir);
    await this.access.authorize(p, upload.directoryKey() ?? root, 'write');
    return upload;
  }
}

export interface StoredFile {
  /** Where the bytes are now (a staging key until finish()). */
  key: string;
  name: string;
  size: number;
  staged: boolean;
}

/**
 * One form upload. A file whose directory is known when it starts streams straight to its final
 * key; a file that arrives before the `path` field streams to a reserved staging key
 * (`.registry-upload-…`, hidden from listings and unaddressable through the API) and is moved
 * into place by finish(). Nothing is ever buffered in memory or on local disk.
 */
export class FormUpload {
  private dir: string | undefined;

  constructor(
    private readonly store: ArtifactStore,
    /** Store key of the upload's root ('' = store root, or a run's artifact root). */
    readonly root: string,
    private readonly maxBytes: number,
  ) {}

  directoryKey(): string | undefined {
    return this.dir === undefined ? undefined : joinKey(this.root, this.dir);
  }

  setDirectory(value: string): void {
    const dir = artifactKey(value, { allowRoot: true });
    if (this.dir !== undefined && this.dir !== dir) {
      throw invalidParameter(`Conflicting upload directories '${this.dir}' and '${dir}'; send one path.`);
    }
    this.dir = dir;
  }

  async storeFile(originalName: string, body: Readable): Promise<StoredFile> {
    const name = artifactKey([originalName]);
    const dirKey = this.directoryKey();
    const staged = dirKey === undefined;
    const key = staged ? `${TEMP_NAME_PREFIX}${randomBytes(12).toString('hex')}` : joinKey(dirKey, name);
    const limited = body.pipe(byteLimit(this.maxBytes, `Upload rejected: a file may have at most ${this.maxBytes} bytes (MAX_UPLOAD_BYTES).`));
    body.once('error', (err) => limited.destroy(err));
    const { size } = await this.store.put(key, limited);
    return { key, name, size, staged };
  }

  /** Moves staged files into the (now known, else root) directory; returns final keys relative to the root. */
  async finish(files: StoredFile[]): Promise<Array<{ path: string; size: number }>> {
    const dirKey = this.directoryKey() ?? this.root;
    const out: Array<{ path: string; size: number }> = [];
    for (const f of files) {
      const finalKey = f.staged ? joinKey(dirKey, f.name) : f.key;
      if (f.staged) await this.store.move(f.key, finalKey);
      f.key = finalKey;
      f.staged = false;
      out.push({ path: finalKey.slice(this.root === '' ? 0 : this.root.length + 1), size: f.size });
    }
    return out;
  }

  async discard(file: StoredFile): Promise<void> {
    await this.store.remove(file.key);
  }
}
