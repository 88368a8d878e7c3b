import type { Request, Response } from 'express';
import multer, { type StorageEngine } from 'multer';
import type { Config } from '../../config';
import { invalidParameter, RegistryError } from '../../errors';
import type { FormUpload, StoredFile } from './artifacts.service';

/** Form fields that name the target directory (MLflow's word is artifact_path). */
const DIRECTORY_FIELDS = ['path', 'artifact_path'] as const;

function directoryField(body: unknown): string | undefined {
  const fields = (body ?? {}) as Record<string, unknown>;
  for (const name of DIRECTORY_FIELDS) {
    const v = fields[name];
    if (typeof v === 'string') return v;
    if (v !== undefined) throw invalidParameter(`Send the form field '${name}' once, as text.`);
  }
  return undefined;
}

/** busboy's words for a body that is not multipart/form-data after all, and the request stream's for one cut short. */
const MALFORMED =
  /^(Multipart: Boundary not found|Malformed part header|Malformed content type|Missing Content-Type|Unexpected end of (form|file)|Unsupported content type: |Request (aborted|closed|error)$)/;

/** A broken body is the client's error (400), not ours: busboy and the request report it as a plain Error. */
function malformedBody(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError || !(err instanceof Error) || err.name === 'MulterError' || !MALFORMED.test(err.message)) return undefined;
  return invalidParameter(`Malformed multipart/form-data body: ${err.message}.`);
}

/**
 * Receives a multipart/form-data body with multer and a storage engine that pipes each file part
 * straight into the artifact store: no memory buffering, no temp files. Limits come from
 * config.limits (MulterError → 413/400 in error-handler.ts). If anything fails, multer removes
 * the files this request already stored, so a failed upload leaves nothing behind.
 */
export async function receiveFormUpload(
  req: Request,
  res: Response,
  upload: FormUpload,
  limits: Config['limits'],
  /** Told the bytes stored once the upload has succeeded (metrics). */
  onStored?: (bytes: number) => void,
): Promise<Array<{ path: string; size: number }>> {
  if (!req.is('multipart/form-data')) {
    throw invalidParameter('Bad Request. Content-Type must be multipart/form-data (curl -F file=@model.onnx ...).');
  }
  const stored: StoredFile[] = [];
  const arrival = new Map<StoredFile, number>(); // files finish in any order; answer in the order sent
  let sent = 0;
  const engine: StorageEngine = {
    _handleFile(request, file, cb) {
      const order = sent++;
      const run = async () => {
        const dir = directoryField(request.body);
        if (dir !== undefined) upload.setDirectory(dir);
        const f = await upload.storeFile(file.originalname, file.stream);
        stored.push(f);
        arrival.set(f, order);
        return { path: f.key, size: f.size };
      };
      run().then(
        (info) => cb(null, info),
        (err: unknown) => cb(err as Error),
      );
    },
    _removeFile(_request, file, cb) {
      const f = stored.find((s) => s.key === file.path);
      if (!f) return cb(null);
      upload.discard(f).then(
        () => cb(null),
        (err: unknown) => cb(err as Error),
      );
    },
  };
  const middleware = multer({
    storage: engine,
    limits: {
      fileSize: limits.uploadBytes,
      files: limits.uploadFiles,
      fieldSize: limits.uploadFieldBytes,
      fields: 100,
      parts: limits.uploadFiles + 100,
    },
  }).any();
  await new Promise<void>((resolve, reject) => {
    middleware(req, res, (err?: unknown) => (err ? reject(malformedBody(err) ?? (err as Error)) : resolve()));
  });
  if (stored.length === 0) {
    throw invalidParameter('No files in the upload; send each file as a form field, e.g. -F file=@model.onnx.');
  }
  try {
    const dir = directoryField(req.body);
    if (dir !== undefined) upload.setDirectory(dir);
    const files = await upload.finish(stored.sort((x, y) => arrival.get(x)! - arrival.get(y)!));
    onStored?.(stored.reduce((sum, f) => sum + f.size, 0));
    return files;
  } catch (err) {
    await Promise.all(stored.map((f) => upload.discard(f).catch(() => undefined)));
    throw err;
  }
}
