import { createHash, randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { invalidParameter, notFound, RegistryError } from '../../errors';
import { shown } from '../../lib/shown';
import { ownerOfKey, WHERE_VERSIONS_LIVE } from '../../storage/artifact-layout';
import type { Principal } from '../../http/principal';
import type { ModelGrant } from '../registry/registry-access';
import { artifactKey, joinKey, keyOfArtifactUri, relativeKey } from '../../storage/artifact-key';
import type { ArtifactStore, ByteRange } from '../../storage/artifact-store';
import { FormUpload } from '../artifacts/artifacts.service';
import type { ModelVersionRecord, ModelVersionsService, VersionSelector } from '../registry/model-versions.service';

/** The archive forms `archive()` writes: `.../archive` and `.../archive.tar.gz` are tar.gz, `.../archive.zip` is zip. */
export type ArchiveFormat = 'tar.gz' | 'zip';

/** A resolved model version ready to serve: where its files are and its cache validator. */
export interface ServedVersion {
  version: ModelVersionRecord;
  rootKey: string;
  /** Strong validator: changes whenever the selector resolves to another version or location. */
  etag: string;
}

/**
 * The selector in /registry/models/<name>/<selector>/...: `@alias`, `latest`, a version number,
 * or a stage name in any case.
 */
export function parseSelector(selector: string): VersionSelector {
  if (selector.startsWith('@')) {
    if (selector.length === 1) throw invalidParameter("Empty alias in selector '@'.");
    return { alias: selector.slice(1) };
  }
  if (/^\d+$/.test(selector)) {
    const version = Number(selector);
    // Versions are int4 (model_versions.version): a larger number names none, and PostgreSQL would refuse it.
    if (version > 2_147_483_647) throw invalidParameter(`Invalid version '${shown(selector)}' in the selector: versions are integers up to 2147483647.`);
    return { version };
  }
  if (selector.toLowerCase() === 'latest') return { latest: true };
  return { stage: selector };
}

/** Serving jobs fetch a model version's files by name and stage, alias or number (README "Serving"). */
export class ServingService {
  constructor(
    private readonly versions: ModelVersionsService,
    private readonly store: ArtifactStore,
    private readonly maxUploadBytes: number,
  ) {}

  /**
   * Starts an upload of a new version's files (README "Serving"), once EDIT on the model was
   * checked (before any byte is read); the files go under the model's own prefix,
   * `registry/<model_id>/uploads/<id>/`.
   */
  beginVersionUpload(model: ModelGrant, dir: string | undefined): { upload: FormUpload; modelId: bigint } {
    const upload = new FormUpload(this.store, joinKey('registry', String(model.id), 'uploads', randomUUID()), this.maxUploadBytes);
    upload.setDirectory(dir ?? '');
    return { upload, modelId: model.id };
  }

  /** Registers the uploaded files as a new version; removes them if registration fails. */
  async finishVersionUpload(p: Principal, model: ModelGrant, upload: FormUpload, input: { description?: string; runId?: string }): Promise<ModelVersionRecord> {
    try {
      return await this.versions.create(p, model, { source: `mlflow-artifacts:/${upload.root}`, description: input.description, runId: input.runId, tags: [] });
    } catch (err) {
      await this.store.remove(upload.root).catch(() => undefined);
      throw err;
    }
  }

  /** The version `selector` (parseSelector) names, for a caller with `model.level` on the model. */
  async resolve(p: Principal, model: ModelGrant, selector: VersionSelector): Promise<ServedVersion> {
    const name = model.name;
    const version = await this.versions.resolveIn(p, model, selector);
    const location = version.storageLocation ?? version.source;
    const rootKey = keyOfArtifactUri(location);
    if (rootKey === undefined) {
      throw invalidParameter(`Version ${version.version} of '${name}' lives at ${location}, outside this server's artifact store; download it from there.`);
    }
    // Checked again here, not only at registration: rows written before sources were checked may
    // name the store root or a bare experiment (the 20261201 migration marks them FAILED_REGISTRATION).
    if (ownerOfKey(rootKey) === undefined) {
      throw new RegistryError(
        'PERMISSION_DENIED',
        `Version ${version.version} of '${name}' is not served: its source ${shown(location)} does not point ${WHERE_VERSIONS_LIVE}. ` + 'Register a new version from runs:/<run_id>/<path>.',
      );
    }
    const etag = `"${createHash('sha256').update(`${version.modelId}:${version.version}:${location}`).digest('hex').slice(0, 32)}"`;
    return { version, rootKey, etag };
  }

  /**
   * One file of the version: its store key and size (404 if absent). `path` is checked like every
   * artifact path: a '/'-separated string (a query field) or the decoded segments of a wildcard.
   */
  async file(served: ServedVersion, path: string | readonly string[]): Promise<{ key: string; size: number }> {
    const key = joinKey(served.rootKey, artifactKey(path));
    const stat = await this.store.stat(key);
    if (!stat) throw notFound(`No file '${typeof path === 'string' ? path : path.join('/')}' in version ${served.version.version} of '${served.version.name}'.`);
    return { key, size: stat.size };
  }

  writeTo(key: string, out: Writable, range?: ByteRange): Promise<void> {
    return this.store.writeTo(key, out, range);
  }

  /**
   * The whole model directory as tar.gz, file by file from the store (nothing is held in memory
   * beyond stream buffers). Throws, before anything is written, if the directory is empty. When `out` fails or closes early (a client that goes away), the tar, the gzip and the
   * store read in progress are all destroyed and the promise rejects; nothing is left emitting.
   */
  async archive(served: ServedVersion, format: ArchiveFormat = 'tar.gz'): Promise<{ writeTo(out: Writable): Promise<void> }> {
    const files: Array<{ key: string; size: number }> = [];
    for await (const f of this.store.walk(served.rootKey)) files.push(f);
    if (files.length === 0) {
      throw notFound(`Version ${served.version.version} of '${served.version.name}' has no files at ${served.rootKey}.`);
    }
    return { writeTo: (out) => (format === 'zip' ? this.writeZip(served, files, out) : this.writeArchive(served, files, out)) };
  }

  /**
   * The zip form of archive(): yazl opens each file's store read only when the zip reaches it (one
   * at a time) and streams it through deflate; sizes are known up front, so nothing is buffered
   * beyond stream buffers. Same failure behaviour as the tar.gz.
   */
  private async writeZip(served: ServedVersion, files: ReadonlyArray<{ key: string; size: number }>, out: Writable): Promise<void> {
    const zip = new yazl.ZipFile();
    const output = zip.outputStream as Readable;
    const opened: Readable[] = [];
    let stopped = false;
    zip.on('error', (err: Error) => output.destroy(err));
    // The version's creation time, so two downloads of one version are the same bytes.
    const mtime = new Date(Number(served.version.creationTime));
    for (const f of files) {
      const name = relativeKey(served.rootKey, f.key) ?? f.key;
      zip.addReadStreamLazy(name, { size: f.size, mtime, mode: 0o100644 }, (cb) => {
        if (stopped) return;
        this.store.get(f.key).then(
          (body) => {
            opened.push(body);
            if (stopped) body.destroy();
            else cb(null, body);
          },
          (err: unknown) => cb(err, undefined as unknown as NodeJS.ReadableStream),
        );
      });
    }
    zip.end();
    try {
      await pipeline(output, out);
    } catch (err) {
      stopped = true;
      for (const body of opened) body.destroy();
      if (out.destroyed && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
  }

  private async writeArchive(served: ServedVersion, files: ReadonlyArray<{ key: string; size: number }>, out: Writable): Promise<void> {
    const pack = tar.pack();
    const gzip = createGzip();
    let reading: Readable | undefined;
    const stopped = () => pack.destroyed || pack.destroying;
    const fill = async () => {
      for (const f of files) {
        const body = await this.store.get(f.key);
        reading = body;
        if (stopped()) return void body.destroy();
        const entry = pack.entry({ name: relativeKey(served.rootKey, f.key) ?? f.key, size: f.size, type: 'file', mode: 0o644 });
        await new Promise<void>((resolve, reject) => {
          body.once('error', reject);
          entry.once('error', reject);
          entry.once('finish', resolve);
          // A destroyed pack closes its entry without an error: that ends this file too.
          entry.once('close', () => reject(new Error('the archive was closed')));
          body.pipe(entry);
        });
      }
      pack.finalize();
    };
    const filled = fill().catch((err: unknown) => {
      reading?.destroy();
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    pack.on('error', (err: Error) => gzip.destroy(err));
    pack.pipe(gzip);
    try {
      await pipeline(gzip, out);
    } catch (err) {
      pack.destroy();
      reading?.destroy();
      // A client that goes away midway is not a failure of the service: nothing to report.
      if (out.destroyed && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    } finally {
      await filled;
    }
  }
}
