import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { RegistryError } from '../../../errors';
import type { Tensor, TensorInfo } from './feeds';

/** Messages to and from inference-worker.ts. */
export type ToWorker =
  | { op: 'load'; seq: number; session: number; bytes: Uint8Array }
  | { op: 'run'; seq: number; session: number; feeds: Record<string, Tensor>; deadline: number }
  | { op: 'release'; seq: number; session: number };

export type FromWorker = { seq: number; ok: true; inputs?: TensorInfo[]; outputs?: TensorInfo[] | Record<string, Tensor> } | { seq: number; ok: false; message: string; expired?: boolean };

export interface InferencePoolOptions {
  /** Inference threads (worker_threads); each session lives in one of them. */
  threads: number;
  /** ONNX Runtime's own threads per inference thread, for one run (intra-op). */
  intraOpThreads: number;
  /** Runs admitted at once (running or waiting); more are refused with 503. */
  maxQueue: number;
  /** A run not answered within this is answered 504; one still waiting when it expires never runs. */
  timeoutMs: number;
  /** The runtime package (onnxruntime-node); another name lets a test see the "not installed" answer. */
  runtime?: string;
}

/** A session loaded in one inference thread. */
export interface SessionHandle {
  readonly id: number;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /** False once its thread has died: the session is gone with it. */
  readonly alive: boolean;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (r: FromWorker) => void; reject: (e: Error) => void }>;
  sessions: Set<Session>;
  /** Told when nothing sent to the thread awaits an answer any more (close() waits for it). */
  drained?: () => void;
}

class Session implements SessionHandle {
  alive = true;
  constructor(
    readonly id: number,
    readonly thread: Thread,
    readonly inputs: TensorInfo[],
    readonly outputs: TensorInfo[],
  ) {}
}

export const RUNTIME_PACKAGE = 'onnxruntime-node';

/** Whether the runtime package resolves; the answer when it does not says what to install. */
export function requireRuntime(name: string = RUNTIME_PACKAGE): void {
  try {
    require.resolve(name);
  } catch {
    throw new RegistryError(
      'NOT_IMPLEMENTED',
      `ONNX predictions need the optional package ${name}, which is not installed on this server: install it with \`npm install --include=optional\` (or \`npm install --save-exact --save-optional onnxruntime-node@1.30.0\`), or use an image built without --omit=optional.`,
    );
  }
}

const WORKER_FILE = path.join(__dirname, `inference-worker${path.extname(__filename)}`);

/**
 * Inference threads, started on first use. Sessions are spread over the threads round robin; runs
 * of one session go to its thread in order. The runtime's own `run()` blocks the calling thread,
 * so none of this runs on the main event loop.
 */
export class InferencePool {
  private readonly threads: Array<Thread | undefined>;
  private next = 0;
  private seq = 0;
  private sessionIds = 0;
  private admitted = 0;
  private closed = false;
  private readonly runtime: string;

  constructor(private readonly options: InferencePoolOptions) {
    this.threads = new Array<Thread | undefined>(options.threads).fill(undefined);
    this.runtime = options.runtime ?? RUNTIME_PACKAGE;
  }

  /** Runs admitted now (running or waiting in a thread). */
  get inFlight(): number {
    return this.admitted;
  }

  private thread(index: number): Thread {
    const existing = this.threads[index];
    if (existing) return existing;
    requireRuntime(this.runtime);
    // Under tsx or ts-jest this file is TypeScript, and so is the worker: the thread needs tsx's loader.
    const execArgv = WORKER_FILE.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
    const worker = new Worker(WORKER_FILE, { workerData: { runtime: this.runtime, intraOpThreads: this.options.intraOpThreads }, execArgv });
    const thread: Thread = { worker, pending: new Map(), sessions: new Set() };
    const fail = (err: Error) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      for (const s of thread.sessions) s.alive = false;
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
      thread.drained?.();
    };
    worker.on('message', (reply: FromWorker) => {
      const p = thread.pending.get(reply.seq);
      thread.pending.delete(reply.seq);
      if (thread.pending.size === 0) {
        worker.unref();
        thread.drained?.();
      }
      p?.resolve(reply);
    });
    worker.on('error', (err) => fail(new RegistryError('INTERNAL_ERROR', `The inference thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new RegistryError('TEMPORARILY_UNAVAILABLE', `The inference thread stopped (exit code ${code}); retry.`, { retryAfterSeconds: 1 })));
    // Idle threads do not keep the process alive (send() holds it while a reply is awaited).
    worker.unref();
    this.threads[index] = thread;
    return thread;
  }

  private send(thread: Thread, msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(msg.seq, { resolve, reject });
      thread.worker.postMessage(msg, transfer);
    });
  }

  /** Creates a session from ONNX bytes; a model the runtime refuses is a 400. */
  async load(bytes: Uint8Array): Promise<SessionHandle> {
    if (this.closed) throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The server is shutting down.');
    const index = this.next++ % this.threads.length;
    const thread = this.thread(index);
    const id = ++this.sessionIds;
    const reply = await this.send(thread, { op: 'load', seq: ++this.seq, session: id, bytes });
    if (!reply.ok) throw new RegistryError('INVALID_PARAMETER_VALUE', `ONNX Runtime could not load the model: ${reply.message}`);
    const session = new Session(id, thread, reply.inputs ?? [], (reply.outputs as TensorInfo[] | undefined) ?? []);
    thread.sessions.add(session);
    return session;
  }

  /** 503 when `maxQueue` runs are admitted already (also checked before a model is loaded for a request). */
  refuseWhenFull(): void {
    if (this.admitted >= this.options.maxQueue) {
      throw new RegistryError('TEMPORARILY_UNAVAILABLE', `The server is busy: ${this.admitted} predictions are running or waiting (SERVING_MAX_QUEUE). Retry later.`, {
        retryAfterSeconds: 1,
      });
    }
  }

  /** Runs a session: 503 when `maxQueue` runs are already admitted, 504 after `timeoutMs`. */
  async run(handle: SessionHandle, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const session = handle as Session;
    if (!session.alive) throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The model was unloaded; retry.', { retryAfterSeconds: 1 });
    this.refuseWhenFull();
    this.admitted++;
    const transfer = Object.values(feeds).flatMap((t) => (Array.isArray(t.data) ? [] : [t.data.buffer as ArrayBuffer]));
    const reply = this.send(session.thread, { op: 'run', seq: ++this.seq, session: session.id, feeds, deadline: Date.now() + this.options.timeoutMs }, transfer);
    // The slot is held until the thread is done with the run, even after a timeout answered it.
    void reply.finally(() => this.admitted--).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RegistryError('DEADLINE_EXCEEDED', `Request processing time exceeded limit (${this.options.timeoutMs} ms, SERVING_TIMEOUT_MS).`)),
        this.options.timeoutMs,
      );
    });
    try {
      const answer = await Promise.race([reply, timeout]);
      if (!answer.ok) {
        if (answer.expired) throw new RegistryError('DEADLINE_EXCEEDED', `Request processing time exceeded limit (${this.options.timeoutMs} ms, SERVING_TIMEOUT_MS).`);
        throw new RegistryError('BAD_REQUEST', `Encountered an unexpected error while evaluating the model: ${answer.message}`);
      }
      return answer.outputs as Record<string, Tensor>;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Frees a session in its thread. */
  async release(handle: SessionHandle): Promise<void> {
    const session = handle as Session;
    session.thread.sessions.delete(session);
    if (!session.alive || this.threads.indexOf(session.thread) === -1) return;
    session.alive = false;
    await this.send(session.thread, { op: 'release', seq: ++this.seq, session: session.id }).catch(() => undefined);
  }

  /**
   * Releases every session and stops the threads, each once it has answered all it was sent (runs
   * and releases): a thread terminated inside a native call aborts the whole process
   * (onnxruntime-node throws from C++ into the dying thread). A run still going SERVING_TIMEOUT_MS
   * + 5 s after close() began is not waited for any longer.
   */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.filter((t): t is Thread => t !== undefined);
    const released = threads.flatMap((t) => [...t.sessions].map((s) => this.release(s)));
    this.threads.fill(undefined);
    await Promise.all(
      threads.map(async (t) => {
        await drained(t, this.options.timeoutMs + 5000);
        await t.worker.terminate();
      }),
    );
    await Promise.all(released);
  }
}

/** Resolves once nothing sent to `thread` awaits an answer, or after `ms`. */
function drained(thread: Thread, ms: number): Promise<void> {
  if (thread.pending.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    thread.drained = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}
