import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { webUiRouter, WEB_UI_CSP } from '../../src/http/web-ui';

describe('web UI serving (src/http/web-ui.ts)', () => {
  it('says how to build the UI when web/dist is missing, and leaves API paths alone', async () => {
    const app = express().use(webUiRouter(path.join(os.tmpdir(), 'no-such-web-dist')));
    const res = await request(app).get('/').expect(503);
    expect(res.text).toContain('npm run build:web');
    await request(app).get('/api/2.0/mlflow/experiments/search').expect(404);
  });

  it('serves index.html without caching for client routes, assets for good, and never for service paths', async () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>ui</title>');
    fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = express().use(webUiRouter(dist));
    const page = await request(app).get('/experiments/7').expect(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(WEB_UI_CSP);
    const js = await request(app).get('/assets/index-abc123.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toMatch(/max-age=31536000, immutable/);
    await request(app).get('/assets/missing.js').expect(404);
    for (const p of ['/api/2.0/mlflow/nope', '/ajax-api/2.0/x', '/health', '/metrics']) await request(app).get(p).expect(404);
    await request(app).post('/experiments/7').expect(404);
    fs.rmSync(dist, { recursive: true, force: true });
  });
});
