import net from 'node:net';
import { startTestApp, type ApiClient, type TestApp } from '../helpers/test-app';
import { API, uniqueName } from './registry-fixtures';

/**
 * A TCP proxy between the service and PostgreSQL that can fail like a database going away: every
 * open connection is reset and new ones are refused until it comes back.
 */
class FlakyProxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  readonly server: net.Server;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      this.track(client);
      if (!this.up) return void client.destroy();
      const upstream = this.track(net.connect(this.target.port, this.target.host));
      client.pipe(upstream).pipe(client);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  }

  private track(s: net.Socket): net.Socket {
    this.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
    return s;
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  goDown(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  comeBack(): void {
    this.up = true;
  }

  close(): Promise<void> {
    this.goDown();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('PostgreSQL going away during a stream of log-batches', () => {
  let t: TestApp;
  let proxy: FlakyProxy;
  let api: ApiClient;

  beforeAll(async () => {
    let target = { host: '127.0.0.1', port: 5432 };
    proxy = new FlakyProxy({
      get host() {
        return target.host;
      },
      get port() {
        return target.port;
      },
    });
    const port = await proxy.listen();
    t = await startTestApp(
      { REGISTERED_MODEL_CACHE_SIZE: '0' },
      {
        connectVia: (url) => {
          const u = new URL(url);
          target = { host: u.hostname, port: Number(u.port || 5432) };
          u.host = `127.0.0.1:${port}`;
          return u.toString();
        },
      },
    );
    api = t.as();
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });

  it('answers every batch with 200 or 503, stores each whole or not at all, and recovers without a restart', async () => {
    const experimentId = (await api.post(`${API}/experiments/create`, { name: uniqueName('outage') }).expect(200)).body.experiment_id as string;
    const runId = (await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id as string;
    const batch = (i: number) => ({
      run_id: runId,
      metrics: [
        { key: `b${i}_m1`, value: i, timestamp: 1, step: 0 },
        { key: `b${i}_m2`, value: i, timestamp: 1, step: 0 },
      ],
      params: [{ key: `b${i}_p`, value: String(i) }],
      tags: [{ key: `b${i}_t`, value: String(i) }],
    });

    const statuses: number[] = [];
    const stream = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const res = await api.post(`${API}/runs/log-batch`, batch(i));
        statuses[i] = res.status;
        if (res.status !== 200) expect([res.status, res.body.error_code]).toEqual([503, 'TEMPORARILY_UNAVAILABLE']);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, 400));
      proxy.goDown();
      await new Promise((r) => setTimeout(r, 1500));
      proxy.comeBack();
    })();
    await Promise.all([stream(0, 60), stream(1000, 60), outage]);

    const seen = statuses.filter((s) => s !== undefined);
    expect(seen.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(seen).toContain(503); // the outage was seen
    expect(seen).toContain(200);

    // Recovered: the pool opens new connections once the database answers again.
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = (await api.get(`${API}/runs/get`, { run_id: runId })).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);

    const run = (await api.get(`${API}/runs/get`, { run_id: runId }).expect(200)).body.run;
    const keys = new Set<string>([
      ...((run.data.metrics ?? []) as Array<{ key: string }>).map((m) => m.key),
      ...((run.data.params ?? []) as Array<{ key: string }>).map((p) => p.key),
      ...((run.data.tags ?? []) as Array<{ key: string }>).map((p) => p.key),
    ]);
    const partial: string[] = [];
    statuses.forEach((status, i) => {
      const present = [`b${i}_m1`, `b${i}_m2`, `b${i}_p`, `b${i}_t`].filter((k) => keys.has(k)).length;
      if (present !== 0 && present !== 4) partial.push(`batch ${i}: ${present} of 4 stored`);
      if (status === 200 && present !== 4) partial.push(`batch ${i}: answered 200 but ${present} of 4 stored`);
    });
    expect(partial).toEqual([]);
  }, 60_000);
});
