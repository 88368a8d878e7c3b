import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** MLflow 3's webhook headers and signature version (mlflow/webhooks/constants.py). */
export const SIGNATURE_HEADER = 'X-MLflow-Signature';
export const DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id';
export const TIMESTAMP_HEADER = 'X-MLflow-Timestamp';

/**
 * MLflow's signature: HMAC-SHA256 with the webhook's secret over `delivery_id.timestamp.payload`
 * (timestamp in Unix seconds, payload the exact body), sent as `v1,<base64>`.
 */
export function signPayload(secret: string, deliveryId: string, timestamp: string, payload: string): string {
  const digest = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${deliveryId}.${timestamp}.${payload}`, 'utf8').digest('base64');
  return `v1,${digest}`;
}

const FORMAT = 'v1';

/**
 * Webhook secrets at rest: AES-256-GCM under a key derived from WEBHOOK_SECRET_KEY (SHA-256 of it),
 * stored as `v1:<base64 iv|tag|ciphertext>`; a stored secret cannot be read without the key.
 */
export class SecretBox {
  private derived: Buffer | undefined;

  /** `secretKey` or a function giving it when first needed (the key file is only read or made then). */
  constructor(private readonly secretKey: string | (() => string)) {}

  private get key(): Buffer {
    this.derived ??= createHash('sha256')
      .update(typeof this.secretKey === 'string' ? this.secretKey : this.secretKey(), 'utf8')
      .digest();
    return this.derived;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
  }

  /** Throws if the value was sealed under another key or altered. */
  open(sealed: string): string {
    if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('unknown webhook secret format');
    const raw = Buffer.from(sealed.slice(FORMAT.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** DATA_DIR/webhook-secret-key: the key generated once when WEBHOOK_SECRET_KEY is unset (as the JWT secret is). */
export function readOrCreateWebhookKey(dataDir: string): { key: string; created: boolean } {
  const file = path.join(dataDir, 'webhook-secret-key');
  if (fs.existsSync(file)) return { key: fs.readFileSync(file, 'utf8').trim(), created: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  try {
    // wx: two workers starting at once keep the first one's key.
    fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: fs.readFileSync(file, 'utf8').trim(), created: false };
    throw err;
  }
  return { key, created: true };
}
