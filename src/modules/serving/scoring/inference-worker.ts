/**
 * The inference thread (inference-pool.ts starts it): holds ONNX Runtime sessions and runs them.
 * onnxruntime-node's `run()` and session creation are synchronous native calls behind a promise, so
 * on the main thread they would block every other request; here they block only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor, TensorInfo } from './feeds';
import type { ToWorker, FromWorker } from './inference-pool';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

const { runtime, intraOpThreads } = workerData as { runtime: string; intraOpThreads: number };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the optional runtime, loaded by name (inference-pool.ts checked that it resolves)
const ort = require(runtime) as Ort;
const sessions = new Map<number, Session>();
const port = parentPort!;

function info(names: readonly string[], metadata: ReadonlyArray<{ name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> }>): TensorInfo[] {
  return names.map((name, i) => {
    const m = metadata[i];
    return { name, type: m?.isTensor ? (m.type ?? 'unknown') : 'non-tensor', shape: m?.isTensor ? (m.shape ?? []) : [] };
  });
}

async function handle(msg: ToWorker): Promise<FromWorker> {
  switch (msg.op) {
    case 'load': {
      const session = await ort.InferenceSession.create(msg.bytes, { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, logSeverityLevel: 3 });
      sessions.set(msg.session, session);
      return { seq: msg.seq, ok: true, inputs: info(session.inputNames, session.inputMetadata), outputs: info(session.outputNames, session.outputMetadata) };
    }
    case 'run': {
      // A request that timed out while it waited here is not run at all.
      if (Date.now() > msg.deadline) return { seq: msg.seq, ok: false, expired: true, message: 'expired before it ran' };
      const session = sessions.get(msg.session);
      if (!session) return { seq: msg.seq, ok: false, message: `session ${msg.session} is not loaded` };
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const [name, t] of Object.entries(msg.feeds)) {
        feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
      }
      const result = await session.run(feeds);
      const outputs: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(result)) outputs[name] = { type: t.type, dims: [...t.dims], data: t.data as Tensor['data'] };
      return { seq: msg.seq, ok: true, outputs };
    }
    case 'release': {
      const session = sessions.get(msg.session);
      sessions.delete(msg.session);
      await session?.release();
      return { seq: msg.seq, ok: true };
    }
  }
}

port.on('message', (msg: ToWorker) => {
  handle(msg).then(
    // Outputs are copied, not transferred: their buffers may belong to the runtime.
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ seq: msg.seq, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker),
  );
});
