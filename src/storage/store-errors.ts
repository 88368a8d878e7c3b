import { RegistryError } from '../errors';

/**
 * A failing backend (disk full, S3 down or refusing) is 503 TEMPORARILY_UNAVAILABLE: the MLflow
 * client retries it, and the server keeps serving everything else. The message names the
 * operation, never credentials.
 */
export function storeUnavailable(operation: string, key: string, err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const reason = typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
  const what = key === '' ? operation : `${operation} of '${key}'`;
  return new RegistryError('TEMPORARILY_UNAVAILABLE', `Artifact storage is unavailable: ${what} failed (${reason}); retry shortly.`, { cause: err });
}

export function artifactNotFound(key: string): RegistryError {
  return new RegistryError('RESOURCE_DOES_NOT_EXIST', `No such artifact: '${key}'.`);
}
