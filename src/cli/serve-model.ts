#!/usr/bin/env node
// The standalone serving job (README "Serving"): MLflow's model server for one model of the registry,
// fetched with a USE token through the archive route and switched when the selector moves.
// `npm run serve-model -- ...` from a checkout.
import type { Server } from 'node:http';
import { createHttpServer, drainHttpServer } from '../http/http-server';
import { createLogger } from '../logger';
import { RegistryFetchError } from '../modules/serving/job/archive-fetch';
import { parseModelUri } from '../modules/serving/job/model-uri';
import { ServingJob } from '../modules/serving/job/serving-job';
import { Scorer } from '../modules/serving/scoring/scorer';
import { EXIT_USAGE, parseCommandLine, UsageError, withUsage } from './args';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

const USAGE = [
  'usage: serve-model --registry <url> --model models:/<name>/<stage|version|latest> [--token <USE token>] [--port 8080]   (npm run serve-model -- ...)',
  '                   --model models:/<name>@<alias> also works; every option can come from the environment instead:',
  '  --registry       REGISTRY_URL    the registry, e.g. http://registry:5000',
  '  --token          REGISTRY_TOKEN  a token with USE on the model (USE sees Production and protected aliases)',
  '  --model          MODEL_URI       which version to serve; followed as it moves (promotion, alias move)',
  '  --port           PORT            default 8080            --host   HOST   default 127.0.0.1 (0.0.0.0 in a container)',
  '  --poll-interval  POLL_INTERVAL   how often the registry is asked for a new version: 500ms, 5s, 1m (default 5s)',
  "Serves MLflow's model-server endpoints: POST /invocations, GET /ping, GET /health, GET /version.",
  'Scoring limits: SERVING_MAX_MODEL_BYTES, SERVING_MAX_QUEUE, SERVING_TIMEOUT_MS, SERVING_THREADS (as for the registry).',
].join('\n');

const OPTIONS = {
  registry: { type: 'string' },
  token: { type: 'string' },
  model: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'poll-interval': { type: 'string' },
} as const;

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** "500ms", "5s", "2m" or plain milliseconds. */
function parseInterval(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'm'];
  return ms >= 100 && ms <= 3_600_000 ? ms : undefined;
}

function positiveInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name}=${text} is not a positive integer`);
  return Number(text);
}

const settings = withUsage(USAGE, () => {
  const parsed = parseCommandLine(process.argv.slice(2), OPTIONS);
  if (parsed === 'help') return parsed;
  const v = parsed.values;
  const env = process.env;
  const registryUrl = v.registry ?? env.REGISTRY_URL;
  const modelUri = v.model ?? env.MODEL_URI;
  if (!registryUrl) throw new UsageError('--registry <url> (or REGISTRY_URL) is required');
  if (!/^https?:\/\/[^/]/.test(registryUrl)) throw new UsageError(`--registry ${registryUrl} is not an http:// or https:// URL`);
  if (!modelUri) throw new UsageError('--model models:/<name>/<stage|version|latest> (or MODEL_URI) is required');
  const model = parseModelUri(modelUri);
  if (!model) throw new UsageError(`--model ${modelUri} is not models:/<name>/<stage|version|latest> or models:/<name>@<alias>`);
  const portText = v.port ?? env.PORT ?? '8080';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port ${portText} is not a port number`);
  const intervalText = v['poll-interval'] ?? env.POLL_INTERVAL ?? '5s';
  const pollIntervalMs = parseInterval(intervalText);
  if (pollIntervalMs === undefined) throw new UsageError(`--poll-interval ${intervalText} is not an interval between 100ms and 60m (500ms, 5s, 1m)`);
  return {
    registryUrl,
    token: v.token ?? env.REGISTRY_TOKEN,
    model,
    port: Number(portText),
    host: v.host ?? env.HOST ?? '127.0.0.1',
    pollIntervalMs,
    scorer: {
      maxModels: 2, // the version served and, while switching, the next one
      maxModelBytes: positiveInt('SERVING_MAX_MODEL_BYTES', 1024 * 1024 * 1024),
      maxQueue: positiveInt('SERVING_MAX_QUEUE', 64),
      timeoutMs: positiveInt('SERVING_TIMEOUT_MS', 30_000),
      threads: positiveInt('SERVING_THREADS', 1),
    },
  };
});

const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
const job = new ServingJob({
  registryUrl: settings.registryUrl,
  token: settings.token,
  model: settings.model,
  pollIntervalMs: settings.pollIntervalMs,
  maxBodyBytes: MAX_BODY_BYTES,
  version,
  scorer: new Scorer(settings.scorer),
  logger,
});

async function main(): Promise<void> {
  try {
    await job.start();
  } catch (err) {
    // Nothing to serve: say why in one line (a refused token, an unknown model, a model that cannot be served).
    process.stderr.write(`serve-model: ${err instanceof RegistryFetchError || err instanceof Error ? err.message : String(err)}\n`);
    await job.stop().catch(() => undefined);
    process.exit(err instanceof RegistryFetchError && err.status === undefined ? 1 : EXIT_USAGE);
  }
  const server: Server = createHttpServer(job.app(), { logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  logger.info({ port, host: settings.host, model: settings.model.name, selector: settings.model.selector }, `serving on http://${settings.host}:${port}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await drainHttpServer(server, 10_000);
    await job.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
