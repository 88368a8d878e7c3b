import fs from 'node:fs';
import path from 'node:path';
import S3rver from 's3rver';

/**
 * s3rver 3.7.1 keeps an in-progress multipart upload as a directory of its store,
 * `<bucket>/._S3rver_uploads/<uploadId>/` (files `key`, `metadata`, and `<n>` + `<n>.md5` per part),
 * but has no way to see or end one: AbortMultipartUpload (DELETE ?uploadId) and ListParts
 * (GET ?uploadId) answer 405 MethodNotAllowed, ListMultipartUploads (GET ?uploads) 501
 * NotImplemented; and UploadPart or CompleteMultipartUpload on an unknown upload id store the
 * part anyway or fail with 500, where S3 and MinIO answer 404 NoSuchUpload.
 *
 * This server is s3rver with those operations added over that same directory, as S3 defines
 * them (an upload id belongs to one key), so a test can watch through the minio client what an
 * abort really did to the upload. Only what the tests use: no pagination, no delimiter, and no
 * signature check on the added operations. Objects are s3rver's own (without the atomic PUTs of
 * s3-test-server.ts, which the multipart paths do not use).
 */

interface Ctx {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
}
type Next = () => Promise<void>;
interface Store {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

function fail(ctx: Ctx, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xml(`<Error><Code>${code}</Code><Message>${escape(message)}</Message></Error>`);
}

function multipartOperations(store: Store) {
  const uploadsDir = (bucket: string) => store.getResourcePath(bucket, undefined, 'uploads');
  /** The upload's directory if `uploadId` is an upload of `key` in `bucket`. */
  const uploadOf = async (bucket: string, key: string, uploadId: string): Promise<string | undefined> => {
    if (!/^[0-9a-f]+$/.test(uploadId)) return undefined;
    const dir = path.join(uploadsDir(bucket), uploadId);
    const stored = await fs.promises.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined);
    return stored === key ? dir : undefined;
  };
  const noSuchUpload = (ctx: Ctx) => fail(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');

  return async (ctx: Ctx, next: Next): Promise<void> => {
    const [, rawBucket = '', ...rest] = ctx.path.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = rest.map(decodeURIComponent).join('/');
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;

    if (bucket !== '' && key === '' && ctx.method === 'GET' && 'uploads' in ctx.query) {
      // ListMultipartUploads
      if (typeof ctx.query.delimiter === 'string' && ctx.query.delimiter !== '') {
        fail(ctx, 501, 'NotImplemented', 'This test server lists multipart uploads without a delimiter only.');
        return;
      }
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const ids = await fs.promises.readdir(uploadsDir(bucket)).catch(() => [] as string[]);
      const uploads: Array<{ key: string; id: string; initiated: Date }> = [];
      for (const id of ids) {
        const dir = path.join(uploadsDir(bucket), id);
        const k = await fs.promises.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined);
        if (k !== undefined && k.startsWith(prefix)) uploads.push({ key: k, id, initiated: (await fs.promises.stat(dir)).birthtime });
      }
      uploads.sort((a, b) => (a.key === b.key ? (a.id < b.id ? -1 : 1) : a.key < b.key ? -1 : 1));
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<ListMultipartUploadsResult><Bucket>${escape(bucket)}</Bucket><Prefix>${escape(prefix)}</Prefix><IsTruncated>false</IsTruncated>` +
          uploads
            .map((u) => `<Upload><Key>${escape(u.key)}</Key><UploadId>${u.id}</UploadId><StorageClass>STANDARD</StorageClass><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`)
            .join('') +
          '</ListMultipartUploadsResult>',
      );
      return;
    }

    if (key === '' || uploadId === undefined) return next();
    if (ctx.method === 'DELETE') {
      // AbortMultipartUpload: the upload and its parts go.
      const dir = await uploadOf(bucket, key, uploadId);
      if (!dir) return noSuchUpload(ctx);
      await fs.promises.rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    if (ctx.method === 'GET') {
      // ListParts
      const dir = await uploadOf(bucket, key, uploadId);
      if (!dir) return noSuchUpload(ctx);
      const numbers = (await fs.promises.readdir(dir))
        .filter((f) => /^\d+$/.test(f))
        .map(Number)
        .sort((a, b) => a - b);
      const parts = [];
      for (const n of numbers) {
        const stat = await fs.promises.stat(path.join(dir, String(n)));
        const md5 = await fs.promises.readFile(path.join(dir, `${n}.md5`), 'utf8');
        parts.push(`<Part><PartNumber>${n}</PartNumber><LastModified>${stat.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${stat.size}</Size></Part>`);
      }
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<ListPartsResult><Bucket>${escape(bucket)}</Bucket><Key>${escape(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
      );
      return;
    }
    // UploadPart and CompleteMultipartUpload: s3rver's own, once the upload is known to exist.
    if ((ctx.method === 'PUT' || ctx.method === 'POST') && !(await uploadOf(bucket, key, uploadId))) return noSuchUpload(ctx);
    return next();
  };
}

/** s3rver with multipart uploads listable and abortable, on a free port of 127.0.0.1, keeping its data under `directory`. */
export async function startS3MultipartTestServer(directory: string): Promise<{ s3: S3rver; port: number }> {
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const internals = s3 as unknown as { store: Store; middleware: unknown[] };
  // Before s3rver's router (its last middleware), after its logging and XML encoding.
  internals.middleware.splice(internals.middleware.length - 1, 0, multipartOperations(internals.store));
  const { port } = await s3.run();
  return { s3, port };
}
