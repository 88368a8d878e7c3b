import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../logger';
import { DELIVERY_ID_HEADER, type SecretBox, SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from './webhook-signer';
import { SendError, type WebhookResponse, type WebhookSender } from './webhook-http';
import type { AttemptOutcome, ClaimedDelivery, WebhooksRepository } from './webhooks.repository';

export interface DeliverySettings {
  /** Deliveries in flight per replica (WEBHOOK_CONCURRENCY); 0: this replica delivers nothing. */
  concurrency: number;
  pollIntervalMs: number;
  /** Bound on one attempt (WEBHOOK_TIMEOUT_MS); a claim lasts this plus a margin. */
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** After this long since the event (WEBHOOK_RETRY_HORIZON), a delivery that still fails is FAILED. */
  horizonMs: number;
}

/** Margin of a claim beyond the attempt's bound (1 to 5 s): a worker that dies mid-delivery is replaced after it. */
const leaseMarginMs = (timeoutMs: number) => Math.min(5000, Math.max(1000, timeoutMs));

/** Retry-After in seconds or as an HTTP date → milliseconds from now (undefined if absent or unreadable). */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Exponential backoff with jitter: base·2^(n−1), capped, then a random half to the full of it. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const retryableStatus = (s: number) => s === 408 || s === 429 || s >= 500;

/**
 * The delivery worker of one replica (started by main.ts like the GC schedule): polls for due
 * deliveries, claims them with FOR UPDATE SKIP LOCKED (so replicas share the work and each delivery
 * goes to one at a time), POSTs MLflow's signed body, and records every attempt. At least once: a
 * delivery is DELIVERED only after a 2xx; the delivery id is the same on every attempt.
 */
export class WebhookDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly settings: DeliverySettings,
    private readonly logger: Logger,
    private readonly onOutcome: (status: string) => void = () => undefined,
  ) {}

  start(): void {
    if (!this.stopped || this.settings.concurrency === 0) return;
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.settings.pollIntervalMs);
    this.timer.unref();
    this.poke();
  }

  /** Looks for due deliveries now (after a local change, after a delivery ended). */
  poke(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch((err: unknown) => this.logger.warn({ err }, 'webhook delivery: claiming failed; retrying at the next poll'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async poll(): Promise<void> {
    const free = this.settings.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const claimed = await this.repo.claim(this.clock.nowMs(), this.settings.timeoutMs + leaseMarginMs(this.settings.timeoutMs), randomUUID(), free);
    for (const d of claimed) {
      const p: Promise<void> = this.deliver(d)
        .catch((err: unknown) => this.logger.warn({ err, deliveryId: d.id }, 'webhook delivery: recording the attempt failed; the claim lapses and it is retried'))
        .finally(() => {
          this.inFlight.delete(p);
          this.poke();
        });
      this.inFlight.add(p);
    }
  }

  /** One attempt of a claimed delivery, and its outcome recorded. */
  private async deliver(d: ClaimedDelivery): Promise<void> {
    const started = this.clock.nowMs();
    const timestamp = String(Math.floor(started / 1000));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', [DELIVERY_ID_HEADER]: d.id, [TIMESTAMP_HEADER]: timestamp };
    let response: WebhookResponse | undefined;
    let failure: SendError | undefined;
    try {
      if (d.secretEncrypted) headers[SIGNATURE_HEADER] = signPayload(this.secrets.open(d.secretEncrypted), d.id, timestamp, d.body);
      response = await this.sender.post(d.url, d.body, headers);
    } catch (err) {
      failure = err instanceof SendError ? err : new SendError(err instanceof Error ? err.message : String(err), 'blocked');
    }
    const ended = this.clock.nowMs();
    const attempt = {
      attempt: d.attempt,
      timestamp: started,
      latencyMs: Math.max(0, ended - started),
      ...(response ? { responseStatus: response.status, responseExcerpt: response.excerpt } : {}),
      ...(failure ? { errorMessage: failure.message } : {}),
    };
    const outcome = this.outcomeOf(d, response, failure, ended, attempt);
    if (await this.repo.finish(d, outcome)) this.onOutcome(outcome.status === 'PENDING' ? 'retry' : outcome.status.toLowerCase());
    if (outcome.status === 'FAILED') this.logger.warn({ deliveryId: d.id, webhookId: d.webhookId, error: outcome.error }, 'webhook delivery failed for good');
  }

  private outcomeOf(d: ClaimedDelivery, response: WebhookResponse | undefined, failure: SendError | undefined, nowMs: number, attempt: AttemptOutcome['attempt']): AttemptOutcome {
    if (response && response.status >= 200 && response.status < 300) return { status: 'DELIVERED', nextAttemptAt: nowMs, deliveredAt: nowMs, attempt };
    const error = failure ? failure.message : response!.status >= 300 && response!.status < 400 ? `HTTP ${response!.status}: redirects are not followed` : `HTTP ${response!.status}`;
    const retryable = failure ? failure.kind !== 'blocked' : retryableStatus(response!.status);
    if (!retryable) return { status: 'FAILED', nextAttemptAt: nowMs, error, attempt };
    const { retryBaseMs, retryMaxMs, horizonMs } = this.settings;
    const delay = Math.max(backoffMs(d.attempt, retryBaseMs, retryMaxMs), retryAfterMs(response?.retryAfter, nowMs) ?? 0);
    const next = nowMs + delay;
    if (next > d.createdAt + horizonMs) return { status: 'FAILED', nextAttemptAt: nowMs, error: `${error}; gave up after ${d.attempt} attempts (WEBHOOK_RETRY_HORIZON)`, attempt };
    return { status: 'PENDING', nextAttemptAt: next, error, attempt };
  }

  /** Stops polling and waits for the attempts in flight (each bounded by WEBHOOK_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
  }
}
