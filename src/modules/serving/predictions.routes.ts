import express, { type Request, type Response } from 'express';
import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { modelGrant } from '../registry/registry-access';
import * as S from './serving.schemas';

const USE_VIEW = 'a USE caller gets only Production versions and versions behind protected aliases (403 otherwise)';

type RawParser = ReturnType<typeof express.raw>;

/** The raw body, JSON or CSV, capped like every JSON body (MAX_JSON_BODY_BYTES; gzip counted decoded). */
function readBody(raw: RawParser, req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) => raw(req, res, (err?: Error) => (err ? reject(err) : resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)))));
}

/**
 * Predictions (README "Predictions"): MLflow's scoring protocol on the ONNX model of the version a
 * stage, `@alias`, number or `latest` names, resolved like the archive route (USE sees only
 * Production and protected aliases).
 */
export function invocationsRoute(c: Container): AnyRoute {
  const byName = c.registeredModels.byName((i: { name: string }) => i.name, 'the registered model name in the path');
  // Made on first use: the route listing builds the rows without a configuration.
  let raw: RawParser | undefined;
  return route({
    key: 'serving.invocations',
    area: 'serving',
    method: 'POST',
    path: '/models/:name/:selector/invocations',
    schema: S.ServedModel,
    from: 'params',
    // JSON or text/csv, read by the handler (after authorization) under the JSON body cap.
    body: 'stream',
    access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
    summary: "Predictions from the ONNX model of the version a stage, alias, 'latest' or number names (MLflow's scoring protocol).",
    handle: async ({ input, principal, granted, req, res }) => {
      raw ??= express.raw({ type: () => true, limit: c.config.limits.jsonBodyBytes });
      const bytes = await readBody(raw, req, res);
      const { served, body: answer } = await c.predictions.predict(principal, modelGrant(granted, input.name), input.selector, req.headers['content-type'], bytes);
      res.setHeader('X-Registry-Model-Version', String(served.version.version));
      return answer;
    },
  });
}
