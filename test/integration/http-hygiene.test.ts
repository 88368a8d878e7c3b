import { loadConfig, ConfigError } from '../../src/config';
import { logSink } from '../helpers/log-sink';
import { startTestApp, type TestApp } from '../helpers/test-app';

const API = '/api/2.0/mlflow';
const LISTED = 'https://ui.example.com';
const SEARCH = `${API}/registered-models/search`;

const flush = () => new Promise((r) => setTimeout(r, 50));

describe('HTTP hygiene with CORS_ALLOWED_ORIGINS and ALLOWED_HOSTS', () => {
  let t: TestApp;
  const sink = logSink();

  beforeAll(async () => {
    t = await startTestApp({ CORS_ALLOWED_ORIGINS: `${LISTED}, http://localhost:3000`, ALLOWED_HOSTS: '127.0.0.1,registry.example.com:5000' }, { logger: sink.logger });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('CORS', () => {
    it('answers a preflight from a listed origin with 204 and the allow headers, without a token', async () => {
      const res = await t.http
        .options(SEARCH)
        .set('Origin', LISTED)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization, content-type')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).toBe(LISTED);
      expect(res.headers['access-control-allow-methods']).toBe('GET,POST,PUT,PATCH,DELETE');
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('gives an unlisted origin a bare 204 preflight and no allow-origin on requests', async () => {
      const pre = await t.http.options(SEARCH).set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'POST').expect(204);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      expect(pre.headers['access-control-allow-methods']).toBeUndefined();
      const res = await t.as().get(SEARCH).set('Origin', 'https://evil.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('puts Access-Control-Allow-Origin on an actual request from a listed origin, errors included', async () => {
      const ok = await t.as().get(SEARCH).set('Origin', LISTED).expect(200);
      expect(ok.headers['access-control-allow-origin']).toBe(LISTED);
      expect(ok.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
      const denied = await t.http.get(SEARCH).set('Origin', 'http://localhost:3000').expect(401);
      expect(denied.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    });
  });

  describe('ALLOWED_HOSTS', () => {
    it('refuses a Host not listed with 403 PERMISSION_DENIED, echoing at most 100 characters', async () => {
      const res = await t.as().get(SEARCH).set('Host', 'rebound.attacker.example').expect(403);
      expect(res.body).toEqual({ error_code: 'PERMISSION_DENIED', message: "Host 'rebound.attacker.example' is not allowed; set ALLOWED_HOSTS" });
      const long = await t.http
        .get('/version')
        .set('Host', `${'a'.repeat(300)}.example`)
        .expect(403);
      expect((long.body as { message: string }).message.length).toBeLessThan(160);
      // A listed host:port matches that port only.
      await t.http.get('/version').set('Host', 'registry.example.com:5001').expect(403);
    });

    it('accepts listed hosts (a name without port: any port)', async () => {
      await t.as().get(SEARCH).expect(200); // Host: 127.0.0.1:<port>
      await t.http.get('/version').set('Host', 'registry.example.com:5000').expect(200);
      await t.http.get('/version').set('Host', 'REGISTRY.example.com:5000').expect(200);
    });

    it('exempts /health and /ready', async () => {
      await t.http.get('/health').set('Host', '10.1.2.3:5000').expect(200);
      await t.http.get('/ready').set('Host', '10.1.2.3:5000').expect(200);
    });
  });

  describe('security headers', () => {
    const expectHeaders = (h: Record<string, string>) => {
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['x-frame-options']).toBe('DENY');
      expect(h['referrer-policy']).toBe('no-referrer');
      expect(h['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    };
    it('are on JSON answers and on errors', async () => {
      const ok = await t.as().get(SEARCH).expect(200);
      expect(ok.headers['content-type']).toMatch(/json/);
      expectHeaders(ok.headers);
      expectHeaders((await t.http.get(SEARCH).expect(401)).headers);
      expectHeaders((await t.as().get(`${API}/no-such-endpoint`).expect(404)).headers);
      expectHeaders((await t.http.get('/version').set('Host', 'evil.example').expect(403)).headers);
    });
  });

  describe('access log', () => {
    it('writes one info line per request with the route template, status and user, never the token or query', async () => {
      const client = t.as('alice');
      await flush();
      const before = sink.lines.length;
      await client.get(`${API}/registered-models/get`, { name: 'no-such-model', access_token: 'secret-in-query' }).set('X-Request-Id', 'req-hygiene-1').expect(404);
      await t.http.get(`${SEARCH}?token=abc`).set('X-Request-Id', 'req-hygiene-2').expect(401);
      await flush();
      const requests = sink.lines.slice(before).filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(2);
      expect(requests[0]).toMatchObject({
        level: 30,
        reqId: 'req-hygiene-1',
        method: 'GET',
        route: '/api/2.0/mlflow/registered-models/get',
        status: 404,
        user: 'alice',
      });
      expect(typeof requests[0]!.ms).toBe('number');
      expect(requests[1]).toMatchObject({ reqId: 'req-hygiene-2', route: 'unmatched', status: 401 });
      expect(requests[1]!.user).toBeUndefined();
      const text = sink.raw.slice(before).join('\n');
      expect(text).not.toContain(client.token);
      expect(text).not.toContain('secret-in-query');
      expect(text).not.toContain('token=abc');
      expect(text).not.toMatch(/authorization/i);
    });
  });
});

describe('HTTP hygiene by default', () => {
  let t: TestApp;
  const sink = logSink();
  beforeAll(async () => {
    t = await startTestApp({ ACCESS_LOG: 'false' }, { logger: sink.logger });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends no CORS headers and answers any Host', async () => {
    const pre = await t.http.options(SEARCH).set('Origin', LISTED).set('Access-Control-Request-Method', 'GET');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await t.as().get(SEARCH).set('Origin', LISTED).set('Host', 'anything.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('writes no access log with ACCESS_LOG=false', async () => {
    await t.as().get(SEARCH).expect(200);
    await flush();
    expect(sink.lines.filter((l) => l.msg === 'request')).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('parses the lists and defaults', () => {
    const c = loadConfig({ CORS_ALLOWED_ORIGINS: 'https://A.example.com, http://localhost:3000', ALLOWED_HOSTS: 'Reg.example.com,[::1]:5000' });
    expect(c.corsAllowedOrigins).toEqual(['https://a.example.com', 'http://localhost:3000']);
    expect(c.allowedHosts).toEqual(['reg.example.com', '[::1]:5000']);
    expect(c.accessLog).toBe(true);
    const d = loadConfig({});
    expect(d.corsAllowedOrigins).toEqual([]);
    expect(d.allowedHosts).toBeUndefined();
    expect(loadConfig({ ACCESS_LOG: 'false' }).accessLog).toBe(false);
  });

  it.each([
    ['CORS_ALLOWED_ORIGINS', '*'],
    ['CORS_ALLOWED_ORIGINS', 'https://a.example.com/path'],
    ['CORS_ALLOWED_ORIGINS', 'a.example.com'],
    ['ALLOWED_HOSTS', 'http://a.example.com'],
    ['ALLOWED_HOSTS', 'a.example.com/x'],
    ['ACCESS_LOG', 'maybe'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
