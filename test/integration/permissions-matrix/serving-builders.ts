import { Readable } from 'node:stream';
import { linearModel } from '../../../src/lib/onnx/linear-model';
import { onnxMLmodel } from '../../../src/lib/onnx/mlmodel-file';
import { type Builders, expectOk, fx, M } from './harness';

// The rows of the serving area (POST /api/2.0/serving/…). They read fx.t, fx.admin and fx.exp.

let served: Promise<{ name: string; id: string }> | undefined;

/** One model, shared by every level (the row only reads): v1 in Production, a linear ONNX model y = 2x + 1. */
function servedModel(): Promise<{ name: string; id: string }> {
  served ??= (async () => {
    const name = 'mx-served';
    const run = (await fx.admin.post(`${M}/runs/create`, { experiment_id: fx.exp }).expect(200)).body.run.info.run_id as string;
    const put = (file: string, bytes: Uint8Array | string) => fx.t.container.artifactStore.put(`${fx.exp}/${run}/artifacts/model/${file}`, Readable.from([Buffer.from(bytes)]));
    await put('model.onnx', linearModel({ weights: [[2]], bias: [1] }));
    await put('MLmodel', onnxMLmodel());
    await fx.admin.post(`${M}/registered-models/create`, { name }).expect(200);
    await fx.admin.post(`${M}/model-versions/create`, { name, source: `runs:/${run}/model` }).expect(200);
    await fx.admin.post(`${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Production' }).expect(200);
    const id = String((await fx.t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } })).id);
    return { name, id };
  })();
  return served;
}

export const SERVING_BUILDERS: Builders = {
  'serving.invocations': async () => {
    const m = await servedModel();
    return {
      resourceId: m.id,
      call: (c) => c.post(`/api/2.0/serving/models/${m.name}/Production/invocations`, { inputs: [[3]] }),
      allowed: (res) => expectOk(res, { predictions: { output: [[7]] } }),
    };
  },
};
