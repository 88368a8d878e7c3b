import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import { RegistryError } from '../../../errors';
import { errorHandler } from '../../../http/error-handler';
import type { Logger } from '../../../logger';
import { artifactKey } from '../../../storage/artifact-key';
import type { ModelSource, Scorer } from '../scoring/scorer';
import { fetchVersion, type FetchedVersion } from './archive-fetch';
import type { ModelRef } from './model-uri';

export interface ServingJobOptions {
  registryUrl: string;
  token: string | undefined;
  model: ModelRef;
  /** How often the registry is asked (with If-None-Match) whether the selector names another version. */
  pollIntervalMs: number;
  /** Largest request body /invocations reads. */
  maxBodyBytes: number;
  /** What GET /version answers. */
  version: string;
  scorer: Scorer;
  logger: Logger;
}

/** One loaded version and the requests running on it. */
interface Generation {
  fetched: FetchedVersion;
  source: ModelSource;
  inFlight: number;
  retired: boolean;
}

/**
 * The standalone serving job (README "Serving"): MLflow's model server (`POST /invocations`,
 * `GET /ping`, `GET /health`, `GET /version`) for the one model a `models:/` URI names, fetched
 * through the registry's archive route with a token and no database. Every `pollIntervalMs` it
 * asks the registry with If-None-Match whether the selector names another version; when it does,
 * the new version is downloaded and loaded while the old one keeps answering, then swapped in;
 * requests already running on the old one finish on it, and its files are removed after the last.
 * A version that fails to load is not swapped in (the old one stays), and is not fetched again
 * until the selector moves on.
 */
export class ServingJob {
  private current: Generation | undefined;
  private rejectedEtag: string | undefined;
  private workDir: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: ServingJobOptions) {}

  /** The version served now, for logs and tests. */
  get served(): FetchedVersion | undefined {
    return this.current?.fetched;
  }

  /** Fetches and loads the first version (throws if that fails: the job cannot serve), then starts polling. */
  async start(): Promise<void> {
    this.workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-model-'));
    const first = await fetchVersion({ ...this.fetchTarget(), knownEtags: [] });
    if (!first) throw new Error('The registry answered 304 to a request without If-None-Match.');
    await this.swapIn(first);
    this.schedule();
  }

  private fetchTarget() {
    return { registryUrl: this.o.registryUrl, token: this.o.token, model: this.o.model, workDir: this.workDir!, signal: this.abort.signal };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce()
        .catch((err: unknown) => {
          if (!this.stopped) this.o.logger.warn({ err: (err as Error).message }, 'polling the registry failed; still serving the version loaded');
        })
        .finally(() => {
          this.polling = undefined;
          this.schedule();
        });
    }, this.o.pollIntervalMs);
    this.timer.unref();
  }

  /** One poll: switch if the selector names another version now. */
  async pollOnce(): Promise<void> {
    const known = [this.current?.fetched.etag, this.rejectedEtag].filter((e): e is string => !!e);
    const next = await fetchVersion({ ...this.fetchTarget(), knownEtags: known });
    if (!next || this.stopped) {
      if (next) await fs.rm(next.dir, { recursive: true, force: true });
      return;
    }
    try {
      await this.swapIn(next);
    } catch (err) {
      this.rejectedEtag = next.etag;
      await fs.rm(next.dir, { recursive: true, force: true });
      this.o.logger.error(
        { err: (err as Error).message, version: next.version },
        `version ${next.version} of ${this.o.model.name} could not be loaded; still serving version ${this.current?.fetched.version ?? 'none'}`,
      );
    }
  }

  /** Loads `fetched` (the old version answers meanwhile), makes it current, retires the old one. */
  private async swapIn(fetched: FetchedVersion): Promise<void> {
    const source = dirSource(fetched);
    await this.o.scorer.warm(source);
    const old = this.current;
    this.current = { fetched, source, inFlight: 0, retired: false };
    this.rejectedEtag = undefined;
    this.o.logger.info({ model: this.o.model.name, selector: this.o.model.selector, version: fetched.version, stage: fetched.stage }, `serving version ${fetched.version}`);
    if (old) {
      old.retired = true;
      await this.releaseIfIdle(old);
    }
  }

  private async releaseIfIdle(g: Generation): Promise<void> {
    if (g.retired && g.inFlight === 0) await fs.rm(g.fetched.dir, { recursive: true, force: true });
  }

  /** Scores one request on the version current when it arrived. */
  async predict(contentType: string | undefined, body: Buffer): Promise<{ version: string; answer: { predictions: unknown } }> {
    const g = this.current;
    if (!g) throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'No model loaded yet.', { retryAfterSeconds: 1 });
    g.inFlight++;
    try {
      return { version: g.fetched.version, answer: await this.o.scorer.predict(g.source, contentType, body) };
    } finally {
      g.inFlight--;
      await this.releaseIfIdle(g);
    }
  }

  /** MLflow's model server's endpoints. */
  app(): Express {
    const app = express();
    app.disable('x-powered-by');
    const raw = express.raw({ type: () => true, limit: this.o.maxBodyBytes });
    // MLflow: 200 with "\n" once the model is loaded, 404 before.
    const ping: express.RequestHandler = (_req, res) => {
      res
        .status(this.current ? 200 : 404)
        .type('application/json')
        .send('\n');
    };
    app.get('/ping', ping);
    app.get('/health', ping);
    app.get('/version', (_req, res) => {
      res.status(200).type('application/json').send(this.o.version);
    });
    app.post('/invocations', raw, async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const { version, answer } = await this.predict(req.headers['content-type'], body);
      res.setHeader('X-Registry-Model-Version', version);
      res.json(answer);
    });
    app.use((req, _res, next) =>
      next(new RegistryError('ENDPOINT_NOT_FOUND', `No endpoint ${req.method} ${req.path}: this model server answers POST /invocations, GET /ping, /health and /version.`)),
    );
    app.use(errorHandler(this.o.logger));
    return app;
  }

  /** Stops polling, waits for a poll in progress, closes the scorer and removes every downloaded file. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.polling?.catch(() => undefined);
    await this.o.scorer.close();
    if (this.workDir) await fs.rm(this.workDir, { recursive: true, force: true });
  }
}

/** A version's unpacked directory as the scorer reads it; its key is the version's ETag. */
function dirSource(v: FetchedVersion): ModelSource {
  // The MLmodel names the file to load: checked like every artifact path, so it stays inside the directory.
  const at = (p: string) => path.join(v.dir, ...artifactKey(p).split('/'));
  return {
    key: v.etag,
    size: async (p) => (await fs.stat(at(p)).catch(() => undefined))?.size,
    read: (p) => fs.readFile(at(p)),
  };
}
