import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Params are immutable (mlflow-api.md: runs/log-parameter, runs/log-batch): under concurrency
 * exactly one value may be stored and answered 200; every request with another value must get
 * 400 INVALID_PARAMETER_VALUE and write nothing of its batch, and a request repeating the stored
 * value succeeds. Each case runs several rounds, for a race does not show on every try.
 */
let t: TestApp;
let exp: string;
const M = '/api/2.0/mlflow';
const ROUNDS = 5;
const N = 20;

beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as().post(`${M}/experiments/create`, { name: 'batch-concurrency-exp' }).expect(200)).body.experiment_id;
});
afterAll(async () => {
  await t.close();
});

const newRun = async () => (await t.as().post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id as string;

const storedParam = async (runId: string, key: string) => (await t.container.prisma.param.findUnique({ where: { runId_key: { runId, key } } }))?.value;

type Answer = { status: number; body: { error_code?: string; message?: string } };

/** The values of the requests answered 200, and the answers to the others. */
const summarise = (values: string[], answers: Answer[]) => ({
  ok: values.filter((_, i) => answers[i]!.status === 200),
  refused: answers.filter((a) => a.status !== 200),
});

function expectRefusals(refused: Answer[], runId: string, key: string, stored: string): void {
  for (const a of refused) {
    expect(a.status).toBe(400);
    expect(a.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(a.body.message).toContain(`Changing param values is not allowed. Param with key='${key}' was already logged with value='${stored}' for run ID='${runId}'.`);
  }
}

describe('concurrent param logging on one run', () => {
  it(`log-batch: of ${N} different values for one key, exactly one is answered 200 and stored; the batches refused write nothing`, async () => {
    const runId = await newRun();
    for (let round = 0; round < ROUNDS; round++) {
      const key = `p${round}`;
      const values = Array.from({ length: N }, (_, i) => `v${i}`);
      const answers: Answer[] = await Promise.all(
        values.map((value, i) =>
          t.as().post(`${M}/runs/log-batch`, {
            run_id: runId,
            params: [{ key, value }],
            metrics: [{ key: `m${round}_${i}`, value: i, timestamp: 1 }],
            tags: [{ key: `t${round}_${i}`, value }],
          }),
        ),
      );
      const { ok, refused } = summarise(values, answers);
      expect(ok).toHaveLength(1);
      const winner = ok[0]!;
      expect(await storedParam(runId, key)).toBe(winner);
      expectRefusals(refused, runId, key, winner);
      // All or nothing: only the winning batch's metric and tag were written.
      const i = values.indexOf(winner);
      const metrics = await t.container.prisma.metric.findMany({ where: { runId, key: { startsWith: `m${round}_` } } });
      expect(metrics.map((m) => m.key)).toEqual([`m${round}_${i}`]);
      const tags = await t.container.prisma.runTag.findMany({ where: { runId, key: { startsWith: `t${round}_` } } });
      expect(tags.map((r) => [r.key, r.value])).toEqual([[`t${round}_${i}`, winner]]);
    }
  });

  it(`log-parameter: of ${N} different values for one key, exactly one is answered 200 and stored`, async () => {
    const runId = await newRun();
    for (let round = 0; round < ROUNDS; round++) {
      const key = `q${round}`;
      const values = Array.from({ length: N }, (_, i) => `w${i}`);
      const answers: Answer[] = await Promise.all(values.map((value) => t.as().post(`${M}/runs/log-parameter`, { run_id: runId, key, value })));
      const { ok, refused } = summarise(values, answers);
      expect(ok).toHaveLength(1);
      expect(await storedParam(runId, key)).toBe(ok[0]);
      expectRefusals(refused, runId, key, ok[0]!);
    }
  });

  it('requests that race with two values: those with the stored value succeed, the others are refused', async () => {
    const runId = await newRun();
    for (let round = 0; round < ROUNDS; round++) {
      const key = `r${round}`;
      const values = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 'a' : 'b'));
      const answers: Answer[] = await Promise.all(
        values.map((value, i) =>
          i % 4 < 2 ? t.as().post(`${M}/runs/log-parameter`, { run_id: runId, key, value }) : t.as().post(`${M}/runs/log-batch`, { run_id: runId, params: [{ key, value }] }),
        ),
      );
      const { ok, refused } = summarise(values, answers);
      const stored = await storedParam(runId, key);
      expect(ok).toEqual(values.filter((v) => v === stored));
      expectRefusals(refused, runId, key, stored!);
      // Once stored, the same value is accepted again, and another still refused.
      await t.as().post(`${M}/runs/log-parameter`, { run_id: runId, key, value: stored }).expect(200);
      await t.as().post(`${M}/runs/log-parameter`, { run_id: runId, key, value: 'c' }).expect(400);
    }
  });

  it('batches logging the same 100 params, half of them in reverse order, all succeed (no deadlock)', async () => {
    const runId = await newRun();
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const params = Array.from({ length: 100 }, (_, i) => ({ key: `s${round}_${String(i).padStart(2, '0')}`, value: String(i) }));
      const answers: Answer[] = await Promise.all(
        Array.from({ length: N }, (_, i) => t.as().post(`${M}/runs/log-batch`, { run_id: runId, params: i % 2 === 0 ? params : [...params].reverse() })),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      const stored = await t.container.prisma.param.findMany({ where: { runId, key: { startsWith: `s${round}_` } }, orderBy: { key: 'asc' } });
      expect(stored.map((p) => ({ key: p.key, value: p.value }))).toEqual(params);
    }
  });
});

describe('concurrent metric and tag logging on one run', () => {
  it('batches of the same 100 metric keys and tags, half of them in reverse order, all succeed (no deadlock) and the latest values are the greatest', async () => {
    const runId = await newRun();
    for (let round = 0; round < ROUNDS; round++) {
      const keys = Array.from({ length: 100 }, (_, i) => `k${round}_${String(i).padStart(2, '0')}`);
      // Request r logs step r of every key: the latest of each key is the last request's point.
      const body = (r: number) => {
        const ordered = r % 2 === 0 ? keys : [...keys].reverse();
        return {
          run_id: runId,
          metrics: ordered.map((key) => ({ key, value: r, timestamp: 1_700_000_000_000, step: r })),
          tags: ordered.map((key) => ({ key, value: String(r) })),
        };
      };
      const answers: Answer[] = await Promise.all(Array.from({ length: N }, (_, r) => t.as().post(`${M}/runs/log-batch`, body(r))));
      expect(answers.map((a) => [a.status, a.body.error_code])).toEqual(answers.map(() => [200, undefined]));
      const latest = await t.container.prisma.latestMetric.findMany({ where: { runId, key: { startsWith: `k${round}_` } }, orderBy: { key: 'asc' } });
      expect(latest.map((m) => [m.key, Number(m.step), m.value])).toEqual(keys.map((key) => [key, N - 1, N - 1]));
      expect(await t.container.prisma.metric.count({ where: { runId, key: { startsWith: `k${round}_` } } })).toBe(100 * N);
      const tags = await t.container.prisma.runTag.findMany({ where: { runId, key: { startsWith: `k${round}_` } } });
      expect(tags).toHaveLength(100);
    }
  });
});

/**
 * The same races made certain: a transaction of the test inserts a param and holds it
 * uncommitted until the requests' statements wait on it, then commits.
 */
describe('param logging that waits on a param not yet committed', () => {
  /** Runs `requests` while a transaction holds (runId, key, value) inserted, committing once they wait on it. */
  async function whileHeld<T>(runId: string, key: string, value: string, requests: () => Promise<T>): Promise<T> {
    let answers!: Promise<T>;
    await t.container.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`INSERT INTO params (run_id, key, value) VALUES (${runId}, ${key}, ${value})`;
        answers = requests();
        // The pool has 5 connections and this transaction holds one: wait until the other 4 wait on a lock.
        const deadline = Date.now() + 10_000;
        let waiting = 0;
        while (waiting < 4 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          // Within a transaction, pg_stat_activity keeps answering its first read unless cleared.
          await tx.$executeRaw`SELECT pg_stat_clear_snapshot()`;
          const [row] = await tx.$queryRaw<Array<{ n: bigint }>>`
            SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          waiting = Number(row!.n);
        }
        expect(waiting).toBe(4);
      },
      { timeout: 30_000 },
    );
    return answers;
  }

  it('once it commits, the requests with its value succeed and the others are refused, writing nothing', async () => {
    const runId = await newRun();
    for (let round = 0; round < 2; round++) {
      const key = `held${round}`;
      const values = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 'x' : `y${i}`));
      const answers: Answer[] = await whileHeld(runId, key, 'x', () =>
        Promise.all(
          values.map((value, i) =>
            round === 0
              ? t.as().post(`${M}/runs/log-batch`, { run_id: runId, params: [{ key, value }], tags: [{ key: `h${round}_${i}`, value }] })
              : t.as().post(`${M}/runs/log-parameter`, { run_id: runId, key, value }),
          ),
        ),
      );
      const { ok, refused } = summarise(values, answers);
      expect(ok).toEqual(values.filter((v) => v === 'x'));
      expectRefusals(refused, runId, key, 'x');
      expect(await storedParam(runId, key)).toBe('x');
      const tags = await t.container.prisma.runTag.findMany({ where: { runId, key: { startsWith: `h${round}_` } } });
      expect(tags.every((r) => r.value === 'x')).toBe(true);
      expect(tags).toHaveLength(round === 0 ? N / 2 : 0);
    }
  });

  it('batches of the same 100 params in opposite orders, waiting on one of them, all succeed (no deadlock)', async () => {
    const runId = await newRun();
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `d${String(i).padStart(2, '0')}`, value: String(i) }));
    const answers: Answer[] = await whileHeld(runId, 'd50', '50', () =>
      Promise.all(Array.from({ length: N }, (_, i) => t.as().post(`${M}/runs/log-batch`, { run_id: runId, params: i % 2 === 0 ? params : [...params].reverse() }))),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const stored = await t.container.prisma.param.findMany({ where: { runId }, orderBy: { key: 'asc' } });
    expect(stored.map((p) => ({ key: p.key, value: p.value }))).toEqual(params);
  });
});
