import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import { hashing } from '../integration/artifact-streams';

/** What s3rver's filesystem store hands to putObject, and the parts of the store used here. */
interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream;
  metadata: Record<string, string>;
}
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}

/**
 * s3rver writes a PUT's body straight into the object's file and never settles when the client
 * aborts, so an aborted upload leaves an empty object behind: S3 and MinIO store nothing unless
 * the whole body arrived. Here a streamed body goes to a temporary file (not listed: s3rver lists
 * only its object files) that is renamed into place once complete, and is removed otherwise.
 */
function makePutsAtomic(store: FilesystemStore): void {
  const original = store.putObject.bind(store);
  store.putObject = async (object) => {
    if (Buffer.isBuffer(object.content)) return original(object);
    const target = store.getResourcePath(object.bucket, object.key, 'object');
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.uploading`;
    const md5 = hashing('md5');
    try {
      await pipeline(object.content, md5, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, target);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await store.putMetadata(object.bucket, object.key, object.metadata, md5.digest());
    return { size: md5.bytes(), md5: md5.digest() };
  };
}

/** An S3-protocol test server on a free port of 127.0.0.1, keeping its objects under `directory`. */
export async function startS3TestServer(directory: string): Promise<{ s3: S3rver; port: number }> {
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  makePutsAtomic((s3 as unknown as { store: FilesystemStore }).store);
  const { port } = await s3.run();
  return { s3, port };
}
