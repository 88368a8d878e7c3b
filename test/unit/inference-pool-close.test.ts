import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const src = (p: string) => JSON.stringify(path.resolve(__dirname, '..', '..', 'src', p));

/**
 * Closing the inference pool (the service's shutdown) while a prediction runs: terminating the
 * thread inside ONNX Runtime's native call aborted the whole process (SIGABRT, "terminate called
 * after throwing an instance of 'Napi::Error'"), so it is tried in a child process of its own.
 */
describe('InferencePool.close', () => {
  it('waits for the run in flight and the session releases, then stops the thread, with the process alive', async () => {
    const script = `
      const { slowModel } = require(${src('lib/onnx/linear-model')});
      const { InferencePool } = require(${src('modules/serving/scoring/inference-pool')});
      (async () => {
        const pool = new InferencePool({ threads: 1, intraOpThreads: 1, maxQueue: 8, timeoutMs: 20000 });
        const session = await pool.load(slowModel(256, 2000));
        const rows = 600;
        const running = pool.run(session, { input: { type: 'float32', dims: [rows, 256], data: new Float32Array(rows * 256).fill(1) } });
        await new Promise((r) => setTimeout(r, 100));
        const inFlight = pool.inFlight;
        await pool.close();
        const output = (await running).output;
        console.log(JSON.stringify({ inFlight, afterClose: pool.inFlight, dims: output.dims, first: Math.round(output.data[0]) }));
      })();`;
    const { stdout } = await run(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { timeout: 60_000 });
    // Every column of the all-ones rows stays 1 through the 2,000 products with a matrix of 1/256.
    expect(JSON.parse(stdout.trim())).toEqual({ inFlight: 1, afterClose: 0, dims: [600, 256], first: 1 });
  });
});
