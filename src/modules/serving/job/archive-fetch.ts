import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { artifactKey } from '../../../storage/artifact-key';
import type { ModelRef } from './model-uri';

/** One version of the model, unpacked into a directory of its own. */
export interface FetchedVersion {
  etag: string;
  version: string;
  stage: string;
  dir: string;
}

/** The registry answered something other than 200 or 304: its status and MLflow error, if any. */
export class RegistryFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryFetchError';
  }
}

export interface FetchOptions {
  registryUrl: string;
  token: string | undefined;
  model: ModelRef;
  /** The ETags of versions already seen (the one served, one that failed to load): a 304 for any of them. */
  knownEtags: readonly string[];
  /** Where the new version's directory is created. */
  workDir: string;
  signal?: AbortSignal;
}

/** `<registry>/api/2.0/registry/models/<name>/<selector>/archive.tar.gz` */
export function archiveUrl(registryUrl: string, model: ModelRef): string {
  return `${registryUrl.replace(/\/+$/, '')}/api/2.0/registry/models/${encodeURIComponent(model.name)}/${encodeURIComponent(model.selector)}/archive.tar.gz`;
}

/**
 * One poll of the registry's archive route with If-None-Match: undefined when the selector still
 * names a version in `knownEtags` (304), else the new version unpacked into a fresh directory under
 * `workDir`. Entry names are checked like every artifact path; only regular files are written.
 */
export async function fetchVersion(o: FetchOptions): Promise<FetchedVersion | undefined> {
  const headers: Record<string, string> = { Accept: 'application/gzip' };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.knownEtags.length > 0) headers['If-None-Match'] = o.knownEtags.join(', ');
  const url = archiveUrl(o.registryUrl, o.model);
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: o.signal });
  } catch (err) {
    throw new RegistryFetchError(
      `Cannot reach the registry at ${o.registryUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
    );
  }
  if (res.status === 304) return undefined;
  if (res.status !== 200 || !res.body) throw new RegistryFetchError(await describeRefusal(res, o.model), res.status);
  const etag = res.headers.get('etag') ?? '';
  const dir = await fs.mkdtemp(path.join(o.workDir, 'v-'));
  try {
    await unpackTarGz(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), dir);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new RegistryFetchError(`The archive of ${o.model.name}/${o.model.selector} could not be unpacked: ${(err as Error).message}`);
  }
  return { etag, version: res.headers.get('x-registry-model-version') ?? '?', stage: res.headers.get('x-registry-model-stage') ?? '?', dir };
}

async function describeRefusal(res: Response, model: ModelRef): Promise<string> {
  const text = await res.text().catch(() => '');
  let detail = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string };
    if (body.error_code) detail = `${body.error_code}: ${body.message ?? ''}`;
  } catch {
    // not JSON: the text as it came
  }
  const hint =
    res.status === 401
      ? ' (give a valid token: --token or REGISTRY_TOKEN)'
      : res.status === 403
        ? ` (the token needs USE on '${model.name}'; a USE token sees only Production and protected aliases)`
        : '';
  return `The registry answered ${res.status} for ${model.name}/${model.selector}: ${detail}${hint}`;
}

async function unpackTarGz(body: Readable, dir: string): Promise<void> {
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const done = (err?: unknown) => (err ? extract.destroy(err as Error) : next());
    if (header.type !== 'file') {
      stream.resume();
      stream.once('end', () => done());
      return;
    }
    let target: string;
    try {
      target = path.join(dir, artifactKey(header.name));
    } catch (err) {
      stream.resume();
      done(err);
      return;
    }
    fs.mkdir(path.dirname(target), { recursive: true })
      .then(() => pipeline(stream, createWriteStream(target)))
      .then(() => done(), done);
  });
  await pipeline(body, createGunzip(), extract);
}
