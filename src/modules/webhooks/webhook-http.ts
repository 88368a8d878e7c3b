import http from 'node:http';
import https from 'node:https';
import { type AddressPolicy, BlockedAddressError, guardedAgents, literalRefusal } from './ssrf-guard';

/** What the receiver answered (any status: redirects are not followed). */
export interface WebhookResponse {
  status: number;
  retryAfter?: string;
  /** The start of the body as text, at most `excerptBytes`. */
  excerpt: string;
}

export interface SenderOptions {
  policy: AddressPolicy;
  /** The whole request, connect to last byte (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Bytes of the answer read before the connection is closed. */
  maxResponseBytes: number;
  excerptBytes: number;
}

/** A failure before any status arrived: refused address, DNS, connection, timeout. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly kind: 'blocked' | 'timeout' | 'network',
  ) {
    super(message);
  }
}

/**
 * POSTs webhook bodies through agents whose lookup refuses addresses the policy does not allow; a
 * literal address in the URL (which net.connect never looks up) is checked here first.
 */
export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: SenderOptions) {
    this.agents = guardedAgents(options.policy);
  }

  post(rawUrl: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
    const { policy, timeoutMs, maxResponseBytes, excerptBytes } = this.options;
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return Promise.reject(new SendError(`invalid URL ${rawUrl}`, 'blocked'));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new SendError(`scheme ${url.protocol} is not allowed`, 'blocked'));
    const why = literalRefusal(url.hostname, policy);
    if (why) return Promise.reject(new SendError(`refused to connect to ${url.hostname.replace(/^\[|\]$/g, '')}: ${why}`, 'blocked'));
    const client = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.agents.https : this.agents.http;
    return new Promise<WebhookResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: WebhookResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value!);
      };
      const req = client.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const excerpt = Buffer.concat(chunks).subarray(0, excerptBytes).toString('utf8');
          const retryAfter = res.headers['retry-after'];
          finish(undefined, { status: res.statusCode ?? 0, excerpt, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        };
        res.on('data', (c: Buffer) => {
          if (size < excerptBytes) chunks.push(c);
          size += c.length;
          // Enough read: the status is what counts; the rest is not waited for.
          if (size > maxResponseBytes) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', (err) => finish(new SendError(err.message, 'network')));
        res.on('close', done);
      });
      const timer = setTimeout(() => {
        finish(new SendError(`no complete answer within ${timeoutMs} ms`, 'timeout'));
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => {
        const blocked = err instanceof BlockedAddressError || (err as NodeJS.ErrnoException).code === 'EWEBHOOKBLOCKED';
        finish(new SendError(err.message, blocked ? 'blocked' : 'network'));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
