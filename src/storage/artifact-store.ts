import type { Readable, Writable } from 'node:stream';

/**
 * Where artifact bytes live: MinIO/S3 (s3-artifact-store.ts) or the local filesystem under
 * DATA_DIR/artifacts (local-artifact-store.ts). Both pass test/integration/artifact-store.contract.test.ts.
 *
 * Keys are '/'-joined paths relative to the store root, already checked by artifactKey()
 * (artifact-key.ts); an `mlflow-artifacts:/<path>` URI maps to key `<path>`. Layout:
 * run artifacts `<exp_id>/<run_id>/artifacts/...`, MLflow 3 logged models
 * `<exp_id>/models/<model_id>/artifacts/...`, files uploaded into the registry
 * `registry/<registered_model_id>/<version>/...`.
 *
 * Everything streams: no method holds a whole object in memory. A missing object is
 * RegistryError RESOURCE_DOES_NOT_EXIST; a failing backend is TEMPORARILY_UNAVAILABLE (503).
 * Stores know nothing about permissions.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';

  /** Makes the store usable (creates the bucket or root directory if missing). Idempotent. */
  init(): Promise<void>;

  /**
   * Streams `body` into `key`, replacing any object there. Atomic: until it resolves nothing is
   * visible under `key`, and a failed or aborted body leaves the previous state (no partial object).
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<{ size: number }>;

  /** Size of the object at `key`, or undefined if there is none (directories are not objects). */
  stat(key: string): Promise<ArtifactStat | undefined>;

  /** Opens the object's bytes, or the inclusive byte range; RESOURCE_DOES_NOT_EXIST if missing. */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /**
   * Writes the object's bytes, or the inclusive byte range, into `out` and ends it (downloads).
   * RESOURCE_DOES_NOT_EXIST, before any byte is written, if missing.
   */
  writeTo(key: string, out: Writable, range?: ByteRange): Promise<void>;

  /**
   * The immediate children of directory `dir` ('' = root), sorted by name: files with their size,
   * sub-directories with isDir. A file key or a missing directory lists as [].
   */
  list(dir: string): Promise<ArtifactEntry[]>;

  /** Every object under directory `dir` ('' = everything), recursively, keys relative to the store root. */
  walk(dir: string): AsyncIterable<ArtifactFile>;

  /** Removes the object at `key` and everything under `key/`. Removing nothing is not an error. */
  remove(key: string): Promise<void>;

  /** Copies one object (server-side where the backend can). */
  copy(fromKey: string, toKey: string): Promise<void>;

  /** Moves one object, replacing any object at `toKey` (local: an atomic rename; S3: copy, then delete). */
  move(fromKey: string, toKey: string): Promise<void>;

  /** S3 multipart uploads with presigned part URLs; undefined on stores without them (local). */
  readonly multipart?: MultipartUploads;

  /** Releases sockets; called by the container's dispose(). */
  close(): Promise<void>;
}

export interface PutOptions {
  /** Exact byte length when known (lets S3 choose single PUT vs multipart). */
  size?: number;
  contentType?: string;
}

export interface ArtifactStat {
  size: number;
  lastModified?: Date;
}

/** Inclusive byte range, already checked against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ArtifactEntry {
  /** Basename within the listed directory. */
  name: string;
  isDir: boolean;
  /** Bytes, for files only. */
  size?: number;
}

export interface ArtifactFile {
  key: string;
  size: number;
}

export interface PresignedPart {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
}

/** MLflow's proxy multipart protocol (mlflow-api.md §1.7) on top of S3 multipart uploads. */
export interface MultipartUploads {
  create(key: string, numParts: number): Promise<{ uploadId: string; parts: PresignedPart[] }>;
  complete(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<void>;
  abort(key: string, uploadId: string): Promise<void>;
  /** Uploads started under `prefix` and never completed or aborted (garbage collection ends the old ones). */
  incomplete(prefix: string): AsyncIterable<IncompleteUpload>;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  /** When it was started; undefined when the server does not say (such an upload is left alone). */
  initiated?: Date;
  /** Bytes of the parts uploaded so far. */
  size: number;
}
