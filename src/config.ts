import path from 'node:path';
import { z } from 'zod';

const LEVELS = ['NO_PERMISSIONS', 'USE', 'READ', 'EDIT', 'MANAGE_STAGING', 'MANAGE_PRODUCTION', 'MANAGE'] as const;

const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const boolTrue = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('true')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** `https://app.example.com` or `http://localhost:3000`: scheme, host and port, no path. */
const origins = list.superRefine((items, ctx) => {
  for (const o of items) {
    let ok = false;
    try {
      ok = /^https?:\/\//i.test(o) && new URL(o).origin === o.toLowerCase().replace(/\/$/, '');
    } catch {
      ok = false;
    }
    if (!ok || o.endsWith('/')) {
      ctx.addIssue({ code: 'custom', message: `'${o.slice(0, 100)}' is not an origin such as https://app.example.com (scheme, host, optional port; no path, no *)` });
    }
  }
});
/** `registry.example.com`, `registry.example.com:5000`, `10.0.0.7` or `[::1]:5000`. */
const HOST_ENTRY = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const hosts = list.superRefine((items, ctx) => {
  for (const h of items) {
    if (!HOST_ENTRY.test(h)) ctx.addIssue({ code: 'custom', message: `'${h.slice(0, 100)}' is not a host name or host:port` });
  }
});
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "30d", "12h", "90m", "3600s" or plain seconds → seconds; undefined for anything else. Also parses `npm run token -- --ttl`. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()]!;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}

/** Seconds in the largest unit that divides them: 2592000 → "30d". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const duration = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const seconds = parseDuration(v === undefined || v.trim() === '' ? fallback : v);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30d, 12h, 90m, 3600s or a number of seconds' });
        return z.NEVER;
      }
      return seconds;
    });

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What REQUIRE_APPROVAL and a model's approval policy may name: stages, and `aliases` (the protected ones). */
export const APPROVAL_TARGETS = ['Staging', 'Production', 'Archived', 'aliases'] as const;
export type ApprovalTarget = (typeof APPROVAL_TARGETS)[number];
/** `production, Staging` → ['Production', 'Staging'] (canonical spelling), or undefined if one is unknown. */
export function parseApprovalTargets(items: readonly string[]): ApprovalTarget[] | undefined {
  const out: ApprovalTarget[] = [];
  for (const item of items) {
    const t = APPROVAL_TARGETS.find((a) => a.toLowerCase() === item.trim().toLowerCase());
    if (t === undefined) return undefined;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}
const approvalTargets = list.transform((items, ctx) => {
  const targets = parseApprovalTargets(items);
  if (targets === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${APPROVAL_TARGETS.join(', ')} (unset: no approval required)` });
    return z.NEVER;
  }
  return targets;
});

/** Every environment variable the service reads. README's configuration table mirrors this. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(5000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgresql://')
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  REGISTERED_MODEL_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  REGISTERED_MODEL_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1).max(86_400_000).default(30_000),
  REGISTERED_MODEL_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(64 * 1024 * 1024),
  REGISTERED_MODEL_CACHE_HEARTBEAT_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  REGISTERED_MODEL_CACHE_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(10).max(3_600_000).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  JWT_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: optional,
  JWT_JWKS_URL: optional.pipe(z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of a JSON Web Key Set' }).optional()),
  JWT_ISSUER: optional,
  JWT_AUDIENCE: optional,
  JWT_ALLOW_NO_EXPIRY: bool,
  JWT_MAX_TTL: duration('30d'),
  ADMIN_USERS: list,
  // Unset: "admin". Set but empty: no role makes an admin (only ADMIN_USERS do).
  ADMIN_ROLE: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? 'admin' : v.trim() === '' ? undefined : v.trim())),
  DEFAULT_PERMISSION: z.enum(LEVELS).default('READ'),
  PROTECTED_ALIASES: z.string().default('production,champion'),
  // Promotion requests (README "Promotion requests"): stages (and `aliases`) that need an approved request.
  REQUIRE_APPROVAL: approvalTargets,
  APPROVAL_SEPARATION: boolTrue,

  S3_ENDPOINT: optional.pipe(z.url({ message: 'must be a URL such as http://127.0.0.1:9000' }).optional()),
  S3_BUCKET: z.string().min(3).max(63).default('mlflow'),
  S3_ACCESS_KEY: optional,
  S3_SECRET_KEY: optional,
  S3_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: optional,
  AWS_SECRET_ACCESS_KEY: optional,

  MAX_JSON_BODY_BYTES: bytes(16 * 1024 * 1024),
  MAX_UPLOAD_BYTES: bytes(5 * 1024 * 1024 * 1024),
  MAX_UPLOAD_FILES: bytes(1000),
  MAX_UPLOAD_FIELD_BYTES: bytes(64 * 1024),
  TRUST_PROXY: bool,
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  // V8's old-generation growth after each full collection, in percent (README "Configuration"); 0: V8's own.
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(200),
  // Robustness (README "Operations"): request timeouts, shutdown, readiness.
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(20_000),
  HTTP_BODY_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  HTTP_STREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  READY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2000),
  // Prometheus metrics (README "Operations"): neither set, /metrics is not served.
  METRICS_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  METRICS_PORT: optional.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // HTTP hygiene (README "Operations"): CORS, Host allow-list, access log.
  CORS_ALLOWED_ORIGINS: origins,
  ALLOWED_HOSTS: hosts,
  ACCESS_LOG: boolTrue,
  // JSON answers at least this long go out gzip or brotli compressed when the client accepts it; 0: never.
  COMPRESSION_MIN_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 * 1024 * 1024)
    .default(1024),
  // Garbage collection (README "Garbage collection"): GC_INTERVAL unset, no schedule; GC_RETENTION is
  // how long deleted data is kept (the schedule's and the endpoint's default --older-than).
  GC_INTERVAL: optional.pipe(z.string().optional()).transform((v, ctx) => {
    if (v === undefined) return undefined;
    const seconds = parseDuration(v);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 1d, 6h, 30m or a number of seconds (unset: no scheduled collection)' });
      return z.NEVER;
    }
    return seconds;
  }),
  GC_RETENTION: duration('30d'),
  // Webhooks (README "Webhooks"): the key that encrypts their secrets (unset: generated into DATA_DIR),
  // where they may connect, and how deliveries are timed and retried.
  WEBHOOK_SECRET_KEY: optional.pipe(z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional()),
  WEBHOOK_ALLOWED_HOSTS: list.transform((items) => items.map((h) => h.toLowerCase().replace(/^\[|\]$/g, ''))),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool,
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  WEBHOOK_RETRY_HORIZON: duration('24h'),
  WEBHOOK_LOG_RETENTION: duration('30d'),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(600_000),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(0).max(100).default(4),
  // ONNX predictions (README "Predictions"): loaded models, queue and deadline of POST .../invocations.
  SERVING_MAX_MODELS: z.coerce.number().int().min(1).max(10_000).default(8),
  SERVING_MAX_MODEL_BYTES: bytes(1024 * 1024 * 1024),
  SERVING_MAX_QUEUE: z.coerce.number().int().min(1).max(1_000_000).default(64),
  SERVING_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  SERVING_THREADS: z.coerce.number().int().min(1).max(64).default(1),
});

/** Every variable loadConfig reads; .env.example lists each of them (test/unit/env-example.test.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(EnvSchema.shape));

/** Variables holding secrets; a value marked as an example ("change-me") is refused at start. */
const SECRET_VARIABLES = ['JWT_SECRET', 'S3_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'METRICS_TOKEN', 'WEBHOOK_SECRET_KEY'] as const;
/** The mark .env.example's secrets carry, so that a copied example can never go live. */
export const PLACEHOLDER_SECRET = /change-?me/i;

function refusePlaceholderSecrets(e: z.infer<typeof EnvSchema>): void {
  let password = '';
  try {
    password = e.DATABASE_URL ? decodeURIComponent(new URL(e.DATABASE_URL).password) : '';
  } catch {
    password = '';
  }
  const named = [...SECRET_VARIABLES.filter((k) => PLACEHOLDER_SECRET.test(e[k] ?? '')), ...(PLACEHOLDER_SECRET.test(password) ? ['the password in DATABASE_URL'] : [])];
  if (named.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${named.join(', ')} still ${named.length > 1 ? 'hold' : 'holds'} the example value from .env.example; set a random secret (e.g. openssl rand -hex 32) in .env or the environment${named.includes('JWT_SECRET') ? ', or remove JWT_SECRET to have one generated into DATA_DIR' : ''}.`,
    );
  }
}

export type PermissionLevelName = (typeof LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** PostgreSQL's statement_timeout on the API's connections; 0 turns it off. */
  databaseStatementTimeoutMs: number;
  /** Registered models kept in memory for registered-models/get; 0 turns the cache off. */
  registeredModelCacheSize: number;
  /** The cache serves nothing read longer ago than this. */
  registeredModelCacheMaxAgeMs: number;
  /** Bound on the approximate size of the cached models. */
  registeredModelCacheMaxBytes: number;
  /** A round trip on the LISTEN connection this often; one unanswered within the timeout drops the cache. */
  registeredModelCacheHeartbeatMs: number;
  registeredModelCacheHeartbeatTimeoutMs: number;
  logLevel: string;
  jwt: {
    /** HS256 shared secret; undefined with a public key or JWKS, or until main.ts generates one. */
    secret: string | undefined;
    /** PEM key for RS256/ES256; may stand beside jwksUrl (tokens without a kid are checked with it). */
    publicKey: string | undefined;
    /** The identity provider's JSON Web Key Set, fetched and cached; its keys may rotate. */
    jwksUrl: string | undefined;
    issuer: string | undefined;
    /** The `aud` tokens must carry; undefined: not checked (HS256 without JWT_AUDIENCE, or JWT_AUDIENCE=*). */
    audience: string | undefined;
    /** JWT_AUDIENCE=*: the operator turned the audience check off on purpose; the start banner warns. */
    anyAudience: boolean;
    /** Accept tokens without `exp` (JWT_ALLOW_NO_EXPIRY): they could never be revoked. */
    allowNoExpiry: boolean;
    /** Longest lifetime accepted (exp − iat, or exp − now without iat), in seconds. */
    maxTtlSeconds: number;
  };
  adminUsers: readonly string[];
  /** Tokens whose `roles` claim holds this are admins; undefined: roles make no admin. */
  adminRole: string | undefined;
  defaultPermission: PermissionLevelName;
  protectedAliases: readonly string[];
  /** Promotion requests: what needs an approved request on every model (REQUIRE_APPROVAL); `separation`: no approving one's own. */
  approval: { required: readonly ApprovalTarget[]; separation: boolean };
  s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string } | undefined;
  limits: { jsonBodyBytes: number; uploadBytes: number; uploadFiles: number; uploadFieldBytes: number };
  trustProxy: boolean;
  /** HTTP worker processes sharing the port (node:cluster). */
  workers: number;
  /** V8's --heap-growing-percent, set at start-up; 0 leaves V8's own growing factor. */
  heapGrowingPercent: number;
  http: {
    /** Time a client has to send the request headers. */
    headersTimeoutMs: number;
    /** Time a client has to send the body, after the headers, on every route but uploads; 0: unbounded. */
    bodyTimeoutMs: number;
    /** Uploads and downloads: how long no byte may move either way before the connection is cut; 0: never. */
    streamIdleTimeoutMs: number;
  };
  /** On SIGTERM/SIGINT, how long requests in flight may take to finish. */
  shutdownGraceMs: number;
  /** Bound on each check of /ready. */
  readyTimeoutMs: number;
  /**
   * GET /metrics: on the main port when only `token` is set; on a server of its own at `port`
   * (and `host`) when that is set, needing the token if there is one; not served with neither.
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /** Origins (lower case, `https://app.example.com`) whose browser pages may call the API; empty: no CORS headers. */
  corsAllowedOrigins: readonly string[];
  /** Host header values accepted (lower case; a name without port matches every port); undefined: any. */
  allowedHosts: readonly string[] | undefined;
  /** One `info` line per request (ACCESS_LOG). */
  accessLog: boolean;
  /** JSON answers of at least this many bytes are compressed for clients that accept br or gzip; 0: never. */
  compressionMinBytes: number;
  /** Garbage collection: every `intervalSeconds` (undefined: never scheduled), what was deleted over `retentionSeconds` ago. */
  gc: { intervalSeconds: number | undefined; retentionSeconds: number };
  /** Webhooks: secretKey undefined means the key generated into DATA_DIR (the container reads or creates it). */
  webhooks: {
    secretKey: string | undefined;
    allowedHosts: readonly string[];
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    retryHorizonSeconds: number;
    /** Finished deliveries older than this go at garbage collection (WEBHOOK_LOG_RETENTION). */
    logRetentionSeconds: number;
    retryBaseMs: number;
    retryMaxMs: number;
    pollIntervalMs: number;
    concurrency: number;
  };
  /**
   * ONNX predictions: at most `maxModels` sessions and `maxModelBytes` of model files loaded (least
   * recently used out), `maxQueue` predictions running or waiting (503 beyond), `timeoutMs` each
   * (504), on `threads` inference threads.
   */
  serving: { maxModels: number; maxModelBytes: number; maxQueue: number; timeoutMs: number; threads: number };
}

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError naming every bad variable and what to set. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  refusePlaceholderSecrets(e);
  if (e.JWT_SECRET && (e.JWT_PUBLIC_KEY || e.JWT_JWKS_URL)) {
    throw new ConfigError('Invalid configuration: set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY / JWT_JWKS_URL (RS256/ES256), not both.');
  }
  if (e.JWT_PUBLIC_KEY && !e.JWT_PUBLIC_KEY.includes('-----BEGIN')) {
    throw new ConfigError('Invalid configuration: JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----...).');
  }
  // Keys fetched over plain HTTP can be swapped by anyone on the path, who could then sign any token.
  const jwks = e.JWT_JWKS_URL ? new URL(e.JWT_JWKS_URL) : undefined;
  if (jwks?.protocol === 'http:' && !LOOPBACK_HOSTS.has(jwks.hostname)) {
    throw new ConfigError('Invalid configuration: JWT_JWKS_URL must use https:// (plain http:// only on localhost).');
  }
  // An identity provider issues tokens to many applications; without an audience check a token
  // issued to any of them would be accepted here.
  if ((e.JWT_PUBLIC_KEY || e.JWT_JWKS_URL) && !e.JWT_AUDIENCE) {
    throw new ConfigError(
      'Invalid configuration: JWT_AUDIENCE is required with JWT_PUBLIC_KEY or JWT_JWKS_URL: set it to the audience (aud) your identity provider puts in tokens for this service, or JWT_AUDIENCE=* to accept tokens for any audience (not recommended).',
    );
  }
  const anyAudience = e.JWT_AUDIENCE?.trim() === '*';
  const accessKey = e.S3_ACCESS_KEY ?? e.AWS_ACCESS_KEY_ID;
  const secretKey = e.S3_SECRET_KEY ?? e.AWS_SECRET_ACCESS_KEY;
  if (e.S3_ENDPOINT && (!accessKey || !secretKey)) {
    throw new ConfigError('Invalid configuration: S3_ENDPOINT is set but credentials are missing; set S3_ACCESS_KEY and S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).');
  }
  if (e.REGISTERED_MODEL_CACHE_HEARTBEAT_TIMEOUT_MS > e.REGISTERED_MODEL_CACHE_HEARTBEAT_MS) {
    throw new ConfigError('Invalid configuration: REGISTERED_MODEL_CACHE_HEARTBEAT_TIMEOUT_MS must not exceed REGISTERED_MODEL_CACHE_HEARTBEAT_MS.');
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    registeredModelCacheSize: e.REGISTERED_MODEL_CACHE_SIZE,
    registeredModelCacheMaxAgeMs: e.REGISTERED_MODEL_CACHE_MAX_AGE_MS,
    registeredModelCacheMaxBytes: e.REGISTERED_MODEL_CACHE_MAX_BYTES,
    registeredModelCacheHeartbeatMs: e.REGISTERED_MODEL_CACHE_HEARTBEAT_MS,
    registeredModelCacheHeartbeatTimeoutMs: e.REGISTERED_MODEL_CACHE_HEARTBEAT_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    jwt: {
      secret: e.JWT_SECRET,
      publicKey: e.JWT_PUBLIC_KEY,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: anyAudience ? undefined : e.JWT_AUDIENCE,
      anyAudience,
      allowNoExpiry: e.JWT_ALLOW_NO_EXPIRY,
      maxTtlSeconds: e.JWT_MAX_TTL,
    },
    adminUsers: e.ADMIN_USERS,
    adminRole: e.ADMIN_ROLE,
    defaultPermission: e.DEFAULT_PERMISSION,
    protectedAliases: e.PROTECTED_ALIASES.split(',')
      .map((a) => a.trim().toLowerCase())
      .filter((a) => a.length > 0),
    approval: { required: e.REQUIRE_APPROVAL, separation: e.APPROVAL_SEPARATION },
    s3: e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, accessKey: accessKey!, secretKey: secretKey!, region: e.S3_REGION } : undefined,
    limits: {
      jsonBodyBytes: e.MAX_JSON_BODY_BYTES,
      uploadBytes: e.MAX_UPLOAD_BYTES,
      uploadFiles: e.MAX_UPLOAD_FILES,
      uploadFieldBytes: e.MAX_UPLOAD_FIELD_BYTES,
    },
    trustProxy: e.TRUST_PROXY,
    workers: e.WORKERS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.HTTP_BODY_TIMEOUT_MS,
      streamIdleTimeoutMs: e.HTTP_STREAM_IDLE_TIMEOUT_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS.map((o) => o.toLowerCase()),
    allowedHosts: e.ALLOWED_HOSTS.length > 0 ? e.ALLOWED_HOSTS.map((h) => h.toLowerCase()) : undefined,
    accessLog: e.ACCESS_LOG,
    compressionMinBytes: e.COMPRESSION_MIN_BYTES,
    gc: { intervalSeconds: e.GC_INTERVAL, retentionSeconds: e.GC_RETENTION },
    webhooks: {
      secretKey: e.WEBHOOK_SECRET_KEY,
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryHorizonSeconds: e.WEBHOOK_RETRY_HORIZON,
      logRetentionSeconds: e.WEBHOOK_LOG_RETENTION,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    serving: { maxModels: e.SERVING_MAX_MODELS, maxModelBytes: e.SERVING_MAX_MODEL_BYTES, maxQueue: e.SERVING_MAX_QUEUE, timeoutMs: e.SERVING_TIMEOUT_MS, threads: e.SERVING_THREADS },
  });
}
