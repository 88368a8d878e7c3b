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
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Every environment variable the service reads. README's configuration table mirrors this. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(5000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optional.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgresql://').optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  REGISTERED_MODEL_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  JWT_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: optional,
  JWT_ISSUER: optional,
  JWT_AUDIENCE: optional,
  ADMIN_USERS: list,
  DEFAULT_PERMISSION: z.enum(LEVELS).default('READ'),
  PROTECTED_ALIASES: z.string().default('production,champion'),

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
});

export type PermissionLevelName = (typeof LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Registered models kept in memory for registered-models/get; 0 turns the cache off. */
  registeredModelCacheSize: number;
  logLevel: string;
  jwt: {
    /** HS256 shared secret; undefined with a public key, or until main.ts generates one. */
    secret: string | undefined;
    publicKey: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
  };
  adminUsers: readonly string[];
  defaultPermission: PermissionLevelName;
  protectedAliases: readonly string[];
  s3:
    | { endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string }
    | undefined;
  limits: { jsonBodyBytes: number; uploadBytes: number; uploadFiles: number; uploadFieldBytes: number };
  trustProxy: boolean;
  /** HTTP worker processes sharing the port (node:cluster). */
  workers: number;
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
  if (e.JWT_SECRET && e.JWT_PUBLIC_KEY) {
    throw new ConfigError('Invalid configuration: set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both.');
  }
  if (e.JWT_PUBLIC_KEY && !e.JWT_PUBLIC_KEY.includes('-----BEGIN')) {
    throw new ConfigError('Invalid configuration: JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----...).');
  }
  const accessKey = e.S3_ACCESS_KEY ?? e.AWS_ACCESS_KEY_ID;
  const secretKey = e.S3_SECRET_KEY ?? e.AWS_SECRET_ACCESS_KEY;
  if (e.S3_ENDPOINT && (!accessKey || !secretKey)) {
    throw new ConfigError(
      'Invalid configuration: S3_ENDPOINT is set but credentials are missing; set S3_ACCESS_KEY and S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).',
    );
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    registeredModelCacheSize: e.REGISTERED_MODEL_CACHE_SIZE,
    logLevel: e.LOG_LEVEL,
    jwt: { secret: e.JWT_SECRET, publicKey: e.JWT_PUBLIC_KEY, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    adminUsers: e.ADMIN_USERS,
    defaultPermission: e.DEFAULT_PERMISSION,
    protectedAliases: e.PROTECTED_ALIASES.split(',')
      .map((a) => a.trim().toLowerCase())
      .filter((a) => a.length > 0),
    s3: e.S3_ENDPOINT
      ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, accessKey: accessKey!, secretKey: secretKey!, region: e.S3_REGION }
      : undefined,
    limits: {
      jsonBodyBytes: e.MAX_JSON_BODY_BYTES,
      uploadBytes: e.MAX_UPLOAD_BYTES,
      uploadFiles: e.MAX_UPLOAD_FILES,
      uploadFieldBytes: e.MAX_UPLOAD_FIELD_BYTES,
    },
    trustProxy: e.TRUST_PROXY,
    workers: e.WORKERS,
  });
}
