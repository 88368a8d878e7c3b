/** MLflow's error codes (databricks.proto) and the HTTP status MLflow answers with (mlflow-api.md §3.1). */
const STATUS_BY_CODE = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The one error type of the service; the error handler renders it as {error_code, message}. */
export class RegistryError extends Error {
  readonly status: number;
  /** Sent as Retry-After: MLflow's client honours it when it retries a 503 or 429. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RegistryError';
    this.status = options.status ?? statusForCode(code);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const notFound = (message: string) => new RegistryError('RESOURCE_DOES_NOT_EXIST', message);
export const invalidParameter = (message: string) => new RegistryError('INVALID_PARAMETER_VALUE', message);
export const alreadyExists = (message: string) => new RegistryError('RESOURCE_ALREADY_EXISTS', message);
