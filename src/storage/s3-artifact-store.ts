import http from 'node:http';
import https from 'node:https';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import { RegistryError } from '../errors';
import { TEMP_NAME_PREFIX } from './artifact-key';
import type { ArtifactEntry, ArtifactFile, ArtifactStat, ArtifactStore, ByteRange, IncompleteUpload, MultipartUploads, PresignedPart, PutOptions } from './artifact-store';
import { artifactNotFound, storeUnavailable } from './store-errors';
import { exactLength, fixedSizeParts, UploadWatch } from './streams';

/** Keys under a reserved name (staged form uploads, artifact-key.ts) never show in listings. */
const isReserved = (key: string) => key.startsWith(TEMP_NAME_PREFIX) || key.includes(`/${TEMP_NAME_PREFIX}`);

export interface S3StoreConfig {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** S3 refuses single PUTs and server-side copies above 5 GiB. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;
/** Part size when the length is unknown: 8 MiB held in memory per upload; 10,000 parts → 80 GiB max. */
const DEFAULT_PART_SIZE = 8 * 1024 ** 2;
const MAX_PARTS = 10_000;
const LIST_PAGE = 1000;
const PRESIGN_SECONDS = 3600;
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
/** Mistakes in what an MLflow client sent to mpu/complete, not a failing backend. */
const CLIENT_MPU_CODES = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML']);

/**
 * MinIO/S3 through the minio client (the same code path talks to MinIO in production and to the
 * S3 test server in tests). Object bytes never pass through the minio client's upload helpers,
 * which buffer up to 64 MiB per part: known-length bodies stream in one presigned PUT, other
 * bodies go up as an S3 multipart upload of 8 MiB parts. Both are atomic: the object appears
 * only when the PUT or the CompleteMultipartUpload succeeds; on failure the upload is aborted.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  /**
   * The underlying client, exposed for tests (e.g. to stub calls the S3 test server lacks, such
   * as AbortMultipartUpload) and for inspecting the bucket directly. Production code never patches it.
   */
  readonly client: Minio.Client;
  readonly multipart: MultipartUploads;
  private readonly region: string;
  private readonly agent: http.Agent;

  constructor(config: S3StoreConfig) {
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === 'https:';
    this.bucket = config.bucket;
    this.region = config.region;
    this.client = new Minio.Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      // MinIO and most S3-compatible servers need path-style; AWS accepts virtual-host style.
      pathStyle: !url.hostname.endsWith('amazonaws.com'),
    });
    // Idle sockets are dropped after 4 s, before S3 servers close them (Node-based servers after 5 s):
    // reusing a socket the server is closing fails the request with ECONNRESET.
    const agentOptions = { keepAlive: true, timeout: 4000 };
    this.agent = useSSL ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.multipart = {
      create: (key, numParts) => this.createMultipart(key, numParts),
      complete: (key, uploadId, parts) => this.completeMultipart(key, uploadId, parts),
      abort: (key, uploadId) => this.abortMultipart(key, uploadId),
      incomplete: (prefix) => this.incompleteUploads(prefix),
    };
  }

  async init(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return; // another replica won
      throw storeUnavailable(`checking/creating bucket '${this.bucket}' at S3_ENDPOINT`, '', err);
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const watch = new UploadWatch(body);
    try {
      if (options.size !== undefined && options.size <= MAX_SINGLE_PUT) {
        await this.putStreamed(key, body, options.size, options.contentType, watch);
        return { size: options.size };
      }
      const partSize = Math.max(DEFAULT_PART_SIZE, Math.ceil((options.size ?? 0) / MAX_PARTS));
      return await this.putInParts(key, body, partSize, options.contentType, watch);
    } catch (err) {
      throw watch.errorFor(key, err);
    }
  }

  /** One presigned PUT with the body streamed through; S3 stores nothing unless all `size` bytes arrive. */
  private async putStreamed(key: string, body: Readable, size: number, contentType: string | undefined, watch: UploadWatch): Promise<void> {
    const url = await this.client.presignedUrl('PUT', this.bucket, key, PRESIGN_SECONDS);
    const headers: http.OutgoingHttpHeaders = { 'Content-Length': size };
    if (contentType) headers['Content-Type'] = contentType;
    await this.send('PUT', url, headers, body, size, watch);
  }

  private async putInParts(key: string, body: Readable, partSize: number, contentType: string | undefined, watch: UploadWatch): Promise<{ size: number }> {
    const parts = fixedSizeParts(body, partSize)[Symbol.asyncIterator]();
    const first = await parts.next();
    const second = first.done ? first : await parts.next();
    if (first.done || second.done) {
      const buf = first.done ? Buffer.alloc(0) : first.value;
      await this.putStreamed(key, Readable.from([buf]), buf.length, contentType, watch);
      return { size: buf.length };
    }
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, contentType ? { 'Content-Type': contentType } : {});
    try {
      const etags: Array<{ part: number; etag: string }> = [];
      let size = 0;
      const upload = async (part: number, buf: Buffer) => {
        const url = await this.client.presignedUrl('PUT', this.bucket, key, PRESIGN_SECONDS, { partNumber: String(part), uploadId });
        const put = () => this.send('PUT', url, { 'Content-Length': buf.length }, buf, buf.length, watch);
        // A part PUT is idempotent: one retry covers a keep-alive socket closed under us.
        const res = await put().catch((err: { code?: string }) => {
          if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') throw err;
          return put();
        });
        etags.push({ part, etag: String(res.headers.etag ?? '').replace(/"/g, '') });
        size += buf.length;
      };
      // One part uploads while the next one fills: at most two parts (16 MiB) in memory.
      let inflight: Promise<void> = Promise.resolve();
      let part = 0;
      const next = async (buf: Buffer) => {
        await inflight;
        if (++part > MAX_PARTS) throw new RegistryError('INVALID_PARAMETER_VALUE', `Artifact '${key}' is too large for one upload.`, { status: 413 });
        inflight = upload(part, buf);
        inflight.catch(() => undefined); // surfaced by the next await
      };
      await next(first.value);
      await next(second.value);
      for (let r = await parts.next(); !r.done; r = await parts.next()) await next(r.value);
      await inflight;
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
      return { size };
    } catch (err) {
      // Best effort: a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes what this misses.
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw err;
    }
  }

  /** Sends one request to a presigned URL; resolves on 2xx, rejects with the S3 error code otherwise. */
  private send(method: string, url: string, headers: http.OutgoingHttpHeaders, body: Readable | Buffer, size: number, watch: UploadWatch): Promise<http.IncomingMessage> {
    const transport = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          res.once('end', () => resolve(res));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 4096) text += d;
        });
        res.once('end', () => {
          watch.storeFailed();
          const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${status}`;
          reject(Object.assign(new Error(`S3 answered ${code}`), { code }));
        });
      });
      req.once('error', (err) => {
        watch.storeFailed();
        reject(err);
      });
      if (Buffer.isBuffer(body)) {
        req.end(body);
      } else {
        pipeline(body, exactLength(size), req).catch((err: unknown) => {
          req.destroy();
          reject(err);
        });
      }
    });
  }

  async stat(key: string): Promise<ArtifactStat | undefined> {
    try {
      const s = await this.client.statObject(this.bucket, key);
      return { size: s.size, lastModified: s.lastModified };
    } catch (err) {
      if (NOT_FOUND_CODES.has((err as { code?: string }).code ?? '')) return undefined;
      throw storeUnavailable('reading', key, err);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      return range ? await this.client.getPartialObject(this.bucket, key, range.start, range.end - range.start + 1) : await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (NOT_FOUND_CODES.has((err as { code?: string }).code ?? '')) throw artifactNotFound(key);
      throw storeUnavailable('reading', key, err);
    }
  }

  async writeTo(key: string, out: Writable, range?: ByteRange): Promise<void> {
    await pipeline(await this.get(key, range), out);
  }

  /**
   * One page of keys under `prefix` after `marker`, flat (no Delimiter). ListObjects V1 with a
   * marker: every S3 server has it, and the S3 test server's V2 continuation tokens crash on
   * OpenSSL 3.
   */
  private async page(prefix: string, marker: string): Promise<{ files: ArtifactFile[]; more: boolean }> {
    const res = await this.client.listObjectsQuery(this.bucket, prefix, marker, { Delimiter: '', MaxKeys: LIST_PAGE });
    const files = res.objects.flatMap((o) => (o.name && !isReserved(o.name) ? [{ key: o.name, size: o.size ?? 0 }] : []));
    return { files, more: Boolean(res.isTruncated) && files.length > 0 };
  }

  /**
   * Immediate children from flat listings that jump over each sub-directory once found
   * (marker "<dir>/\u{10FFFF}"), rather than from Delimiter listings: one request per
   * sub-directory and per 1,000 files, and correct on servers whose CommonPrefixes miss
   * directories that hold only directories (the S3 test server, s3rver, does).
   */
  async list(dir: string): Promise<ArtifactEntry[]> {
    const prefix = dir === '' ? '' : `${dir}/`;
    const files: ArtifactEntry[] = [];
    const dirs = new Set<string>();
    let marker = '';
    try {
      for (;;) {
        const { files: page, more } = await this.page(prefix, marker);
        let jumped = false;
        for (const o of page) {
          const rest = o.key.slice(prefix.length);
          const slash = rest.indexOf('/');
          if (slash === -1) {
            files.push({ name: rest, isDir: false, size: o.size });
            continue;
          }
          const child = rest.slice(0, slash);
          if (dirs.has(child)) continue; // a name the jump could not pass (sorts after U+10FFFF on that server)
          dirs.add(child);
          const jump = `${prefix}${child}/\u{10FFFF}`;
          if (Buffer.compare(Buffer.from(jump), Buffer.from(o.key)) > 0) {
            marker = jump;
            jumped = true;
            break;
          }
        }
        if (jumped) continue;
        if (!more) break;
        marker = page[page.length - 1]!.key;
      }
    } catch (err) {
      throw storeUnavailable('listing', dir, err);
    }
    const entries = [...files, ...[...dirs].map((name) => ({ name, isDir: true }))];
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async *walk(dir: string): AsyncIterable<ArtifactFile> {
    const prefix = dir === '' ? '' : `${dir}/`;
    let marker = '';
    for (;;) {
      let page: { files: ArtifactFile[]; more: boolean };
      try {
        page = await this.page(prefix, marker);
      } catch (err) {
        throw storeUnavailable('listing', dir, err);
      }
      yield* page.files;
      if (!page.more) return;
      marker = page.files[page.files.length - 1]!.key;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      let batch: string[] = [key];
      for await (const f of this.walk(key)) {
        batch.push(f.key);
        if (batch.length === 1000) {
          await this.client.removeObjects(this.bucket, batch);
          batch = [];
        }
      }
      if (batch.length > 0) await this.client.removeObjects(this.bucket, batch);
    } catch (err) {
      throw storeUnavailable('deleting', key, err);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const s = await this.stat(fromKey);
    if (s === undefined) throw artifactNotFound(fromKey);
    if (s.size > MAX_SINGLE_PUT) {
      await this.put(toKey, await this.get(fromKey), {});
      return;
    }
    try {
      await this.client.copyObject(this.bucket, toKey, `/${this.bucket}/${fromKey}`);
    } catch (err) {
      if (NOT_FOUND_CODES.has((err as { code?: string }).code ?? '')) throw artifactNotFound(fromKey);
      throw storeUnavailable('copying', fromKey, err);
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    await this.copy(fromKey, toKey);
    await this.remove(fromKey);
  }

  private async createMultipart(key: string, numParts: number): Promise<{ uploadId: string; parts: PresignedPart[] }> {
    try {
      const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, {});
      const parts: PresignedPart[] = [];
      for (let partNumber = 1; partNumber <= numParts; partNumber++) {
        const url = await this.client.presignedUrl('PUT', this.bucket, key, PRESIGN_SECONDS, {
          partNumber: String(partNumber),
          uploadId,
        });
        parts.push({ partNumber, url, headers: {} });
      }
      return { uploadId, parts };
    } catch (err) {
      throw storeUnavailable('starting a multipart upload', key, err);
    }
  }

  private async completeMultipart(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<void> {
    try {
      await this.client.completeMultipartUpload(
        this.bucket,
        key,
        uploadId,
        parts.map((p) => ({ part: p.partNumber, etag: p.etag.replace(/"/g, '') })),
      );
    } catch (err) {
      throw this.multipartError('completing', key, uploadId, err);
    }
  }

  private async *incompleteUploads(prefix: string): AsyncIterable<IncompleteUpload> {
    try {
      for await (const u of this.client.listIncompleteUploads(this.bucket, prefix, true) as AsyncIterable<{ key: string; uploadId: string; size: number; initiated?: Date }>) {
        yield { key: u.key, uploadId: u.uploadId, size: u.size, ...(u.initiated !== undefined ? { initiated: new Date(u.initiated) } : {}) };
      }
    } catch (err) {
      // An S3-compatible server without ListMultipartUploads (s3rver, some gateways) has nothing this can list.
      if ((err as { code?: string }).code === 'NotImplemented') return;
      throw storeUnavailable('listing incomplete multipart uploads', prefix, err);
    }
  }

  private async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
    } catch (err) {
      throw this.multipartError('aborting', key, uploadId, err);
    }
  }

  private multipartError(what: string, key: string, uploadId: string, err: unknown): RegistryError {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'NoSuchUpload') {
      return new RegistryError('RESOURCE_DOES_NOT_EXIST', `No multipart upload '${uploadId}' for artifact '${key}'.`);
    }
    if (CLIENT_MPU_CODES.has(code)) {
      return new RegistryError('INVALID_PARAMETER_VALUE', `Cannot complete the multipart upload of '${key}': ${code}.`);
    }
    return storeUnavailable(`${what} a multipart upload`, key, err);
  }
}
