import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  /** The request's path and query. */
  path: string;
  deliveryId: string;
  timestamp: string;
  signature: string | undefined;
  body: string;
  json: { entity: string; action: string; timestamp: string; data: Record<string, unknown> };
  /** entity.action */
  event: string;
}

/** MLflow 3's verification, written as a receiver would: HMAC-SHA256 over `id.timestamp.body`, `v1,<base64>`. */
export function verifyMlflowSignature(secret: string, r: Pick<Received, 'deliveryId' | 'timestamp' | 'signature' | 'body'>): boolean {
  if (!r.signature?.startsWith('v1,')) return false;
  const expected = createHmac('sha256', secret).update(`${r.deliveryId}.${r.timestamp}.${r.body}`).digest();
  const given = Buffer.from(r.signature.slice(3), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A webhook receiver on loopback. `answer` decides each response (default 200); `stop()` closes the
 * port (connections refused) and `start()` opens the same port again.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (r: Received, res: http.ServerResponse) => void = (_r, res) => res.writeHead(200).end('ok');
  private server: http.Server | undefined;
  port = 0;

  async start(port = this.port): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: Received['json'];
        try {
          json = JSON.parse(body) as Received['json'];
        } catch {
          json = { entity: '?', action: '?', timestamp: '', data: {} };
        }
        const r: Received = {
          path: req.url ?? '',
          deliveryId: String(req.headers['x-mlflow-delivery-id']),
          timestamp: String(req.headers['x-mlflow-timestamp']),
          signature: req.headers['x-mlflow-signature'] as string | undefined,
          body,
          json,
          event: `${json.entity}.${json.action}`,
        };
        this.received.push(r);
        this.answer(r, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/** Polls `check` until it returns true (or throws its last failure after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
