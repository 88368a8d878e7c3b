/**
 * ONNX predictions in MLflow's scoring protocol, with no HTTP framework and no database: the
 * registry's invocations route and the standalone serving job both use this.
 *
 *   const scorer = new Scorer({ maxModels: 8, maxModelBytes: 1 << 30, maxQueue: 64, timeoutMs: 30_000 });
 *   const { predictions } = await scorer.predict(source, req.headers['content-type'], bodyBuffer);
 *   // → { predictions: [...] } as MLflow's /invocations answers; errors are RegistryError
 *   //   (400 BAD_REQUEST naming the column or shape, 415, 501 runtime absent, 503 busy, 504 timeout)
 *   await scorer.close();
 *
 * A ModelSource is one model version's files: `key` must change whenever the files do (an ETag),
 * since loaded sessions are cached by it. The model is the `onnx` flavor's file of an `MLmodel`, or a
 * bare `model.onnx` when there is no MLmodel; the signature (if any) maps and checks the inputs.
 */
import { RegistryError } from '../../../errors';
import { toFeeds, toPredictions, type TensorInfo } from './feeds';
import { InferencePool, requireRuntime, type SessionHandle } from './inference-pool';
import { parseMLmodel, servableOnnxFile, type Signature } from './mlmodel';
import { ModelCache, type ModelCacheStats } from './model-cache';
import { parseScoringRequest } from './scoring-input';

export interface ModelSource {
  /** Identity of the files (e.g. the version's ETag): a new key loads a new session. */
  key: string;
  /** A file's size, undefined when absent. */
  size(path: string): Promise<number | undefined>;
  /** A file's bytes. */
  read(path: string): Promise<Buffer>;
}

export interface ScorerOptions {
  /** Models kept loaded at once (SERVING_MAX_MODELS). */
  maxModels: number;
  /** Bytes of ONNX files kept loaded at once (SERVING_MAX_MODEL_BYTES). */
  maxModelBytes: number;
  /** Predictions running or waiting at once; more get 503 (SERVING_MAX_QUEUE). */
  maxQueue: number;
  /** Per-prediction deadline, 504 after it (SERVING_TIMEOUT_MS). */
  timeoutMs: number;
  /** Inference threads (SERVING_THREADS); default 1. */
  threads?: number;
  /** ONNX Runtime intra-op threads per inference thread; default 1. */
  intraOpThreads?: number;
  /** The runtime package; only tests change it. */
  runtime?: string;
}

export interface LoadedModel {
  session: SessionHandle;
  signature: Signature | undefined;
  /** The file that was loaded, relative to the version's root. */
  file: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface ScorerStats extends ModelCacheStats {
  /** Predictions running or waiting now. */
  inFlight: number;
}

export class Scorer {
  private readonly pool: InferencePool;
  private readonly cache: ModelCache<LoadedModel>;
  private readonly runtime: string | undefined;

  constructor(private readonly options: ScorerOptions) {
    this.runtime = options.runtime;
    this.pool = new InferencePool({
      threads: options.threads ?? 1,
      intraOpThreads: options.intraOpThreads ?? 1,
      maxQueue: options.maxQueue,
      timeoutMs: options.timeoutMs,
      runtime: options.runtime,
    });
    this.cache = new ModelCache<LoadedModel>(options.maxModels, options.maxModelBytes, (m) => void this.pool.release(m.session));
  }

  /** Parses the request, loads (or reuses) the model, runs it: `{predictions}` as MLflow answers. */
  async predict(source: ModelSource, contentType: string | undefined, body: Buffer): Promise<{ predictions: unknown }> {
    const request = parseScoringRequest(contentType, body);
    this.pool.refuseWhenFull();
    const lease = await this.cache.acquire(
      source.key,
      () => this.load(source),
      (m) => m.session.alive,
    );
    try {
      const model = lease.value;
      const { feeds, rows } = toFeeds(request.input, model.signature, model.inputs);
      const outputs = await this.pool.run(model.session, feeds);
      return { predictions: toPredictions(outputs, rows) };
    } finally {
      lease.release();
    }
  }

  /** Loads a model ahead of its first request (e.g. right after a promotion). */
  async warm(source: ModelSource): Promise<LoadedModel> {
    const lease = await this.cache.acquire(
      source.key,
      () => this.load(source),
      (m) => m.session.alive,
    );
    lease.release();
    return lease.value;
  }

  private async load(source: ModelSource): Promise<{ value: LoadedModel; bytes: number }> {
    requireRuntime(this.runtime);
    let signature: Signature | undefined;
    let file = 'model.onnx';
    const mlmodelSize = await source.size('MLmodel');
    if (mlmodelSize !== undefined) {
      if (mlmodelSize > 1024 * 1024) throw new RegistryError('INVALID_PARAMETER_VALUE', `The model's MLmodel file is ${mlmodelSize} bytes; at most 1 MiB is read.`);
      const info = parseMLmodel((await source.read('MLmodel')).toString('utf8'));
      file = servableOnnxFile(info);
      signature = info.signature;
    }
    const size = await source.size(file);
    if (size === undefined) {
      throw new RegistryError(
        'INVALID_PARAMETER_VALUE',
        mlmodelSize === undefined
          ? 'This model cannot be served here: it has neither an MLmodel file nor a model.onnx.'
          : `The MLmodel's onnx flavor names '${file}', which the version does not have.`,
      );
    }
    if (size > this.options.maxModelBytes) {
      throw new RegistryError(
        'RESOURCE_EXHAUSTED',
        `The model file '${file}' is ${size} bytes, more than this server holds for all models together (SERVING_MAX_MODEL_BYTES=${this.options.maxModelBytes}).`,
      );
    }
    const bytes = await source.read(file);
    const session = await this.pool.load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { value: { session, signature, file, inputs: session.inputs, outputs: session.outputs }, bytes: size };
  }

  /** The loaded models and the predictions in flight: the bounds in effect, for tests and /metrics. */
  stats(): ScorerStats {
    return { ...this.cache.stats(), inFlight: this.pool.inFlight };
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.pool.close();
  }
}
