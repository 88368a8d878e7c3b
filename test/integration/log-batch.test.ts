import http from 'node:http';
import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
let exp: string;
const M = '/api/2.0/mlflow';
beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as().post(`${M}/experiments/create`, { name: 'batch-exp' }).expect(200)).body.experiment_id;
});
afterAll(async () => {
  await t.close();
});

const newRun = async () => (await t.as().post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id as string;

describe('runs/log-batch', () => {
  it('stores 1,000 metrics with their full history and the latest point per key', async () => {
    const id = await newRun();
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 10}`, value: i, timestamp: 1000 + i, step: Math.floor(i / 10) }));
    await t.as().post(`${M}/runs/log-batch`, { run_id: id, metrics }).expect(200);
    expect(await t.container.prisma.metric.count({ where: { runId: id } })).toBe(1000);
    const latest = await t.container.prisma.latestMetric.findMany({ where: { runId: id }, orderBy: { key: 'asc' } });
    expect(latest).toHaveLength(10);
    expect(latest[0]).toMatchObject({ key: 'k0', value: 990, step: 99n });
    const hist = await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'k3' }).expect(200);
    expect(hist.body.metrics).toHaveLength(100);
    expect(hist.body.next_page_token).toBeUndefined();
  });

  it('ignores exact duplicate points and keeps the greater latest point across batches', async () => {
    const id = await newRun();
    const point = { key: 'loss', value: 0.5, timestamp: 10, step: 3 };
    await t
      .as()
      .post(`${M}/runs/log-batch`, { run_id: id, metrics: [point, point] })
      .expect(200);
    await t
      .as()
      .post(`${M}/runs/log-batch`, { run_id: id, metrics: [point, { ...point, step: 2, value: 9 }] })
      .expect(200);
    expect(await t.container.prisma.metric.count({ where: { runId: id } })).toBe(2);
    const run = (await t.as().get(`${M}/runs/get`, { run_id: id })).body.run;
    expect(run.data.metrics).toEqual([{ key: 'loss', value: 0.5, timestamp: 10, step: 3 }]);
  });

  it('writes the rest of a batch that repeats a logged point, once (the retry that skips duplicates)', async () => {
    const id = await newRun();
    const point = { key: 'loss', value: 0.25, timestamp: 5, step: 1 };
    await t
      .as()
      .post(`${M}/runs/log-metric`, { run_id: id, ...point })
      .expect(200);
    await t
      .as()
      .post(`${M}/runs/log-metric`, { run_id: id, ...point })
      .expect(200);
    await t
      .as()
      .post(`${M}/runs/log-batch`, {
        run_id: id,
        params: [{ key: 'p', value: '1' }],
        metrics: [{ key: 'acc', value: 0.9, timestamp: 6, step: 2 }, point],
        tags: [{ key: 't', value: 'x' }],
      })
      .expect(200);
    const rows = await t.container.prisma.metric.findMany({ where: { runId: id }, orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.value])).toEqual([
      ['acc', 0.9],
      ['loss', 0.25],
    ]);
    const run = (await t.as().get(`${M}/runs/get`, { run_id: id })).body.run;
    expect(run.data.params).toEqual([{ key: 'p', value: '1' }]);
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 't', value: 'x' }]));
    expect(run.data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'acc', value: 0.9, timestamp: 6, step: 2 },
        { key: 'loss', value: 0.25, timestamp: 5, step: 1 },
      ]),
    );
  });

  it('writes params, metrics and tags together; the last tag value in a batch wins', async () => {
    const id = await newRun();
    await t
      .as()
      .post(`${M}/runs/log-batch`, {
        run_id: id,
        params: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
        metrics: [{ key: 'm', value: 1, timestamp: 1 }],
        tags: [
          { key: 't', value: 'x' },
          { key: 't', value: 'y' },
        ],
      })
      .expect(200);
    const run = (await t.as().get(`${M}/runs/get`, { run_id: id })).body.run;
    expect(run.data.params).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 't', value: 'y' }]));
  });

  it('writes nothing when a param would change value', async () => {
    const id = await newRun();
    await t.as().post(`${M}/runs/log-parameter`, { run_id: id, key: 'p', value: 'old' }).expect(200);
    const res = await t
      .as()
      .post(`${M}/runs/log-batch`, { run_id: id, params: [{ key: 'p', value: 'new' }], metrics: [{ key: 'm', value: 1, timestamp: 1 }], tags: [{ key: 't', value: 'v' }] })
      .expect(400);
    expect(res.body.message).toContain('Changing param values is not allowed');
    expect(await t.container.prisma.metric.count({ where: { runId: id } })).toBe(0);
    expect(await t.container.prisma.runTag.count({ where: { runId: id, key: 't' } })).toBe(0);
  });

  it.each([
    [{ metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i })) }, 'at most 1000 metrics'],
    [{ params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }, 'at most 100 params'],
    [{ tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) }, 'at most 100 tags'],
    [{ metrics: Array.from({ length: 950 }, (_, i) => ({ key: 'm', value: i, timestamp: i })), params: Array.from({ length: 60 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }, 'in total'],
    [
      {
        params: [
          { key: 'dup', value: '1' },
          { key: 'dup', value: '2' },
        ],
      },
      'Duplicate parameter keys',
    ],
    [{ params: [{ key: 'long', value: 'x'.repeat(6001) }] }, 'exceeded length limit of 6000'],
    [{ tags: [{ key: 'long', value: 'x'.repeat(8001) }] }, 'exceeded length limit of 8000'],
    [{ metrics: [{ key: 'm', value: 'abc', timestamp: 1 }] }, "parameter 'metrics.0.value'"],
    [{ metrics: [{ key: 'm', value: 1, timestamp: -1 }] }, 'non-negative'],
  ])('answers 400 INVALID_PARAMETER_VALUE and stores nothing for %#', async (body, message) => {
    const id = await newRun();
    const res = await t
      .as()
      .post(`${M}/runs/log-batch`, { run_id: id, ...body })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
    expect(await t.container.prisma.metric.count({ where: { runId: id } })).toBe(0);
    expect(await t.container.prisma.param.count({ where: { runId: id } })).toBe(0);
  });

  it.each([['soon'], [1.5], ['99999999999999999999']])('refuses the timestamp %j, saying what an int64 must be', async (timestamp) => {
    const id = await newRun();
    const res = await t
      .as()
      .post(`${M}/runs/log-batch`, { run_id: id, metrics: [{ key: 'm', value: 1, timestamp }] })
      .expect(400);
    expect(res.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("for parameter 'metrics.0.timestamp' supplied: must be an integer within ±2^53") });
  });

  it('refuses a body over 1,000,000 bytes', async () => {
    const id = await newRun();
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7990) }));
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(5990) }));
    const res = await t.as().post(`${M}/runs/log-batch`, { run_id: id, tags, params, metrics: [] }).expect(400);
    expect(res.body.message).toContain('at most 1000000 bytes');
  });

  it('refuses a chunked body over 1,000,000 bytes, which has no Content-Length', async () => {
    const id = await newRun();
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7990) }));
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(5990) }));
    const body = Buffer.from(JSON.stringify({ run_id: id, tags, params }));
    const res = await new Promise<{ status: number; body: { error_code: string; message: string } }>((resolve, reject) => {
      const req = http.request(`${t.baseUrl}${M}/runs/log-batch`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.as().token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      req.once('error', reject);
      req.once('response', (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.once('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
      });
      for (let i = 0; i < body.length; i += 65536) req.write(body.subarray(i, i + 65536));
      req.end();
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('at most 1000000 bytes');
    expect(await t.container.prisma.param.count({ where: { runId: id } })).toBe(0);
  });
});

describe('metric history', () => {
  it('pages with max_results and page_token in (timestamp, step) order', async () => {
    const id = await newRun();
    const metrics = Array.from({ length: 25 }, (_, i) => ({ key: 'acc', value: i / 25, timestamp: 100 - i, step: i }));
    await t.as().post(`${M}/runs/log-batch`, { run_id: id, metrics }).expect(200);
    const first = await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'acc', max_results: '10' }).expect(200);
    expect(first.body.metrics).toHaveLength(10);
    expect(first.body.metrics[0]).toEqual({ key: 'acc', value: 0.96, timestamp: 76, step: 24 });
    const all = [...first.body.metrics];
    let token = first.body.next_page_token as string | undefined;
    while (token) {
      const page = await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'acc', max_results: '10', page_token: token }).expect(200);
      all.push(...page.body.metrics);
      token = page.body.next_page_token;
    }
    expect(all.map((m) => m.step)).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i));
    expect((await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'nope' }).expect(200)).body).toEqual({});
    expect((await t.as().get(`${M}/metrics/get-history`, { run_id: id }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('pages by the last point of each page: ties, NaN and infinities included, and offset tokens still taken', async () => {
    const id = await newRun();
    // Points equal in timestamp and step, told apart by value; NaN and ±Infinity sort by PostgreSQL's float order.
    const values = [0.5, 'NaN', 'Infinity', '-Infinity', 0.25, 0.75];
    const metrics = values.flatMap((value, i) => [0, 1].map((step) => ({ key: 'tie', value, timestamp: 7, step: step + (i % 2) })));
    await t.as().post(`${M}/runs/log-batch`, { run_id: id, metrics }).expect(200);
    const whole = (await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'tie' }).expect(200)).body.metrics as unknown[];
    expect(whole).toHaveLength(12);
    for (const size of [1, 2, 5]) {
      const paged: unknown[] = [];
      let token: string | undefined;
      do {
        const page = await t
          .as()
          .get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'tie', max_results: String(size), ...(token ? { page_token: token } : {}) })
          .expect(200);
        paged.push(...page.body.metrics);
        token = page.body.next_page_token;
      } while (token);
      expect(paged).toEqual(whole);
    }
    // A token of the earlier offset kind (an answer of an older server) goes on from that offset.
    const offsetToken = Buffer.from(JSON.stringify({ offset: 10 })).toString('base64');
    expect((await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'tie', max_results: '5', page_token: offsetToken }).expect(200)).body.metrics).toEqual(whole.slice(10));
    const bad = Buffer.from(JSON.stringify({ after: ['x', '1', '0', 'false'] })).toString('base64');
    expect((await t.as().get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'tie', max_results: '5', page_token: bad }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('down-samples several runs with get-history-bulk-interval', async () => {
    const a = await newRun();
    const b = await newRun();
    for (const id of [a, b]) {
      await t
        .as()
        .post(`${M}/runs/log-batch`, { run_id: id, metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'x', value: i, timestamp: i, step: i })) })
        .expect(200);
    }
    const res = await t
      .as()
      .get(`${M}/metrics/get-history-bulk-interval`, { run_ids: [a, b], metric_key: 'x', max_results: '5' })
      .expect(200);
    const steps = res.body.metrics.filter((m: { run_id: string }) => m.run_id === a).map((m: { step: number }) => m.step);
    // The i-th of 5 kept steps is the round(i·49/4)-th of the 50.
    expect(steps).toEqual([0, 12, 25, 37, 49]);
    expect(res.body.metrics.filter((m: { run_id: string }) => m.run_id === b).map((m: { step: number }) => m.step)).toEqual([0, 12, 25, 37, 49]);
    // Steps, not points: every point of a kept step comes back; a run with fewer steps keeps all of them.
    const c = await newRun();
    const pts = [
      [0, 1],
      [0, 2],
      [3, 3],
      [7, 4],
      [100, 5],
    ].map(([step, timestamp]) => ({ key: 'x', value: step! + timestamp! / 10, timestamp, step }));
    await t.as().post(`${M}/runs/log-batch`, { run_id: c, metrics: pts }).expect(200);
    const sparse = await t
      .as()
      .get(`${M}/metrics/get-history-bulk-interval`, { run_ids: [c, a], metric_key: 'x', max_results: '3' })
      .expect(200);
    const ofC = sparse.body.metrics.filter((m: { run_id: string }) => m.run_id === c);
    expect(ofC.map((m: { step: number; timestamp: number }) => [m.step, m.timestamp])).toEqual([
      [0, 1],
      [0, 2],
      [7, 4],
      [100, 5],
    ]);
    // In the order of run_ids.
    expect(sparse.body.metrics[0].run_id).toBe(c);
    expect(sparse.body.metrics.at(-1).run_id).toBe(a);
    const few = await t.as().get(`${M}/metrics/get-history-bulk-interval`, { run_ids: c, metric_key: 'x', max_results: '10' }).expect(200);
    expect(few.body.metrics).toHaveLength(5);
    const one = await t.as().get(`${M}/metrics/get-history-bulk-interval`, { run_ids: c, metric_key: 'x', max_results: '1' }).expect(200);
    expect(one.body.metrics.map((m: { step: number }) => m.step)).toEqual([0, 0]);
    const ranged = await t.as().get(`${M}/metrics/get-history-bulk-interval`, { run_ids: a, metric_key: 'x', start_step: '10', end_step: '12' }).expect(200);
    expect(ranged.body.metrics.map((m: { step: number }) => m.step)).toEqual([10, 11, 12]);
    expect((await t.as().get(`${M}/metrics/get-history-bulk-interval`, { run_ids: a, metric_key: 'x', start_step: '10' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
