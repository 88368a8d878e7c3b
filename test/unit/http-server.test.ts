import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import express from 'express';
import request from 'supertest';
import { createHttpServer } from '../../src/http/http-server';
import { streamingRoutes } from '../../src/http/route-table';
import { declaredRows } from '../helpers/routes';

describe('createHttpServer', () => {
  let server: Server;
  let app: express.Express;
  const born: Array<{ reqProto: object; resProto: object; declared: boolean }> = [];

  beforeAll(async () => {
    app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => {
      req.principal = { subject: 'someone', groups: [], isAdmin: false };
      res.json({ body: req.body as unknown, path: req.path, ip: typeof req.ip, principal: req.principal.subject, own: res.locals !== undefined });
    });
    server = createHttpServer(app);
    // Runs before Express's own listener: what Node built, before Express touches it.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      born.push({
        reqProto: Object.getPrototypeOf(req) as object,
        resProto: Object.getPrototypeOf(res) as object,
        declared: Object.hasOwn(req, 'principal') && Object.hasOwn(req, 'baseUrl'),
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('builds requests and responses on the app’s prototypes, with the properties added later declared', async () => {
    await request(server).post('/echo').send({ a: 1 }).expect(200);
    const [first] = born;
    // Born on the app's prototypes, before Express's listener runs: its move onto them is a no-op.
    expect(first!.reqProto).toBe(app.request);
    expect(first!.resProto).toBe(app.response);
    expect(first!.declared).toBe(true);
    // Which still inherit Express's request and response, and know their app.
    expect(Object.getPrototypeOf(Object.getPrototypeOf(app.request))).toBe(express.request);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(app.response))).toBe(express.response);
    expect(app.request.app).toBe(app);
  });

  it('leaves Express, body-parser and the response helpers working as before', async () => {
    const res = await request(server)
      .post('/echo')
      .send({ a: [1, 2] })
      .expect(200);
    expect(res.body).toEqual({ body: { a: [1, 2] }, path: '/echo', ip: 'string', principal: 'someone', own: true });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('the streaming routes of the route table', () => {
  const isStreamingRoute = streamingRoutes(declaredRows());
  // Uploads and downloads: no body deadline (HTTP_BODY_TIMEOUT_MS), an idle timeout instead.
  it.each([
    ['PUT', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin'],
    ['GET', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin'],
    ['HEAD', '/ajax-api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin'],
    ['POST', '/api/2.0/mlflow-artifacts/upload?run_id=abc&path=model'],
    ['POST', '/api/2.0/registry/models/churn/versions?description=x'],
    ['POST', '/api/2.0/registry/models/a%2Fb/versions'],
    ['GET', '/api/2.0/registry/models/churn/Production/archive'],
    ['GET', '/api/2.0/registry/models/churn/@champion/files/MLmodel'],
    ['GET', '/API/2.0/REGISTRY/models/churn/3/archive?x=1'],
  ])('%s %s streams', (method, url) => {
    expect(isStreamingRoute(method, url)).toBe(true);
  });

  it.each([
    ['POST', '/api/2.0/mlflow/runs/log-batch'],
    ['GET', '/api/2.0/mlflow-artifacts/artifacts?path=1/abc'],
    ['POST', '/api/2.0/mlflow-artifacts/mpu/create/1/abc/artifacts'],
    ['DELETE', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin'],
    ['PUT', '/api/2.0/mlflow/artifacts/list'],
    ['GET', '/api/2.0/registry/models/churn/versions'],
    ['POST', '/api/2.0/registry/models/churn/versions/extra'],
    ['GET', '/api/2.0/registry/models/churn/Production/archived'],
    ['GET', '/api/2.0/registry/audit/models/churn'],
  ])('%s %s has the body timeout', (method, url) => {
    expect(isStreamingRoute(method, url)).toBe(false);
  });
});
