// npm run bench -- --scale-out [--quick] [--node-flags <flags>]
// Issue 19 item 5: two processes of the service on ONE scratch database (the same JWT secret and
// DATA_DIR) behind haproxy on loopback (Debian's package). Measures the mixed registry workload
// (reg.mixedReadWrite: 90 % registered-models/get, 10 % registered-models/update, 50 connections, a
// non-admin token from a group grant) through haproxy with one backend and with two, and how stale
// process B is after a write through process A: a description written through A, B polled directly
// until it answers the new one, beside the delay of the registry_changed notification (migration
// 20261125090000) that B's registered-model cache follows, heard by a LISTEN client of our own.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { BenchClient } from './client';
import * as reg from './registry';
import { type BenchServer, peakRssMb, startScratchServer } from './server';
import { fmt, summarize } from './stats';
import type { Figure } from './table';
import { type Log, setup } from './workloads';

export const HAPROXY_MISSING =
  'haproxy not found on PATH: the scale-out check needs it as the load balancer. Install Debian’s package (`sudo apt-get install -y haproxy`) and run `npm run bench -- --scale-out` again. Skipped.';

export interface ScaleOutOptions {
  adminUrl: string;
  nodeFlags: string[];
  /** Seconds per throughput measurement (after cannon.ts's 2 untimed seconds). */
  seconds: number;
  /** Measurements of each set-up, alternating one backend / two backends. */
  rounds: number;
  /** Writes through A for the staleness on B. */
  writes: number;
  /** Registered models the mixed workload reads and updates. */
  models: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => resolve(!!c.end()));
      c.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`haproxy did not listen on ${port} within 10 s`);
}

/**
 * haproxy in the foreground with two frontends: `one` goes to process A only, `two` round-robins
 * over A and B. HTTP mode with keep-alive on both sides, as a load balancer in front of replicas
 * would run; one thread, so that it takes no more of the two cores than it needs.
 */
async function startHaproxy(a: BenchServer, b: BenchServer, log: Log): Promise<{ one: string; two: string; stop(): void }> {
  const [onePort, twoPort] = [await freePort(), await freePort()];
  const backend = (s: BenchServer) => new URL(s.url).host;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-haproxy-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  option http-keep-alive',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend one',
      `  bind 127.0.0.1:${onePort}`,
      '  default_backend one',
      'frontend two',
      `  bind 127.0.0.1:${twoPort}`,
      '  default_backend two',
      'backend one',
      `  server a ${backend(a)}`,
      'backend two',
      '  balance roundrobin',
      `  server a ${backend(a)}`,
      `  server b ${backend(b)}`,
      '',
    ].join('\n'),
  );
  log(`starting haproxy: 127.0.0.1:${onePort} → A; 127.0.0.1:${twoPort} → A + B (round robin)`);
  const proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(onePort, proc);
  await waitForPort(twoPort, proc);
  return {
    one: `http://127.0.0.1:${onePort}`,
    two: `http://127.0.0.1:${twoPort}`,
    stop() {
      proc.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The registry_changed notifications as heard by a connection of the bench's own. */
async function listen(databaseUrl: string): Promise<{ next(): Promise<number>; end(): Promise<void> }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('LISTEN registry_changed');
  let waiting: ((at: number) => void) | undefined;
  db.on('notification', () => {
    const at = performance.now();
    waiting?.(at);
    waiting = undefined;
  });
  return {
    /** When the next notification arrives; rejects if none has within 10 s. */
    next: () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no registry_changed notification within 10 s of a write')), 10_000);
        waiting = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      }),
    end: () => db.end(),
  };
}

interface Staleness {
  /** From sending the write to A until: A's answer, the notification heard, B's first answer with the new description. */
  answer: number[];
  notified: number[];
  seenOnB: number[];
  /** B's answers with the old description to GETs sent after A had answered the write: staleness actually seen. */
  staleAfterAnswer: number;
  polls: number;
}

/**
 * For each write: B reads the model first (so it is in B's cache), then B is polled directly, one
 * GET after another, from just before the update is sent through A until B answers the new
 * description. A poll sent after A's answer that still gets the old description is staleness a
 * client could see (it read its own write on A, then the old value on B).
 */
async function staleness(a: BenchClient, b: BenchClient, models: string[], databaseUrl: string, writes: number, log: Log): Promise<Staleness> {
  log(`staleness: ${writes} description updates through A, B polled meanwhile until it answers each`);
  const heard = await listen(databaseUrl);
  const s: Staleness = { answer: [], notified: [], seenOnB: [], staleAfterAnswer: 0, polls: 0 };
  const description = async (name: string) => (await b.get<{ registered_model: { description?: string } }>('registered-models/get', { name })).registered_model.description;
  try {
    for (let i = 0; i < writes; i++) {
      const name = models[i % models.length]!;
      await description(name);
      await description(name);
      const wanted = `scale-out write ${i} ${randomBytes(4).toString('hex')}`;
      const notification = heard.next();
      notification.catch(() => undefined); // awaited below, after B; not an unhandled rejection meanwhile
      const t0 = performance.now();
      const write = { answered: Number.POSITIVE_INFINITY };
      const seen = (async () => {
        for (;;) {
          const sent = performance.now();
          const d = await description(name);
          s.polls++;
          if (d === wanted) return performance.now();
          if (sent > write.answered) s.staleAfterAnswer++;
          if (sent - t0 > 10_000) throw new Error(`B still answered the old description of ${name} 10 s after the write through A`);
        }
      })();
      await a.call('PATCH', '/api/2.0/mlflow/registered-models/update', { name, description: wanted });
      write.answered = performance.now();
      s.answer.push(write.answered - t0);
      s.seenOnB.push((await seen) - t0);
      s.notified.push((await notification) - t0);
    }
  } finally {
    await heard.end();
  }
  return s;
}

const rate = (f: Figure) => `${fmt(f.value, 0)} req/s (${f.detail}${f.errors ? `; ${f.errors} errors/non-2xx` : ''})`;

/** The scale-out check: prints its tables on stdout, or why it was skipped. */
export async function runScaleOut(o: ScaleOutOptions, log: Log): Promise<void> {
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error) {
    process.stdout.write(`${HAPROXY_MISSING}\n`);
    return;
  }
  const started = Date.now();
  const servers: BenchServer[] = [];
  const clients: BenchClient[] = [];
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  try {
    const a = await startScratchServer(o.adminUrl, log, { nodeFlags: o.nodeFlags });
    servers.push(a);
    const b = await startScratchServer(o.adminUrl, log, { nodeFlags: o.nodeFlags, sharing: a });
    servers.push(b);
    const admin = new BenchClient(a.url, a.token);
    clients.push(admin);
    const target = await setup(admin, log, { databaseUrl: a.databaseUrl, dataDir: a.dataDir, secret: a.secret });
    const caller = await reg.nonAdminCaller(target, o.models, log);
    haproxy = await startHaproxy(a, b, log);
    const through = (url: string): reg.Caller => {
      const api = new BenchClient(url, caller.api.token);
      clients.push(api);
      return { ...caller, api };
    };
    const direct = through(a.url);
    const one = through(haproxy.one);
    const two = through(haproxy.two);
    const figures = { direct: [] as string[], one: [] as string[], two: [] as string[] };
    const rates = { one: [] as number[], two: [] as number[] };
    const directFigure = await reg.mixedReadWrite(direct, o.seconds, log);
    figures.direct.push(rate(directFigure));
    for (let r = 0; r < o.rounds; r++) {
      for (const [k, c] of [
        ['one', one],
        ['two', two],
      ] as const) {
        const f = await reg.mixedReadWrite(c, o.seconds, log);
        figures[k].push(rate(f));
        rates[k].push(f.value);
      }
    }
    const onB = new BenchClient(b.url, caller.api.token);
    clients.push(onB);
    const s = await staleness(direct.api, onB, caller.models, a.databaseUrl, o.writes, log);

    const afterAnswer = s.seenOnB.map((x, i) => x - s.answer[i]!);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const lines = [
      `scale-out check: ${os.cpus().length} cores, Node ${process.version}, one PostgreSQL, haproxy (${haproxyVersion()}) on loopback, ${o.seconds} s per measurement`,
      `mixed workload: 90 % registered-models/get, 10 % registered-models/update over ${o.models} models, 50 connections, non-admin via group grant, cache on`,
      '',
      '| set-up | throughput, each measurement |',
      '|---|---|',
      `| one process, direct (no haproxy) | ${figures.direct.join('; ')} |`,
      `| haproxy → one process (A) | ${figures.one.join('; ')} |`,
      `| haproxy → two processes (A + B, round robin) | ${figures.two.join('; ')} |`,
      '',
      `two processes against one: ${fmt(mean(rates.two) / mean(rates.one), 2)}× (mean of ${o.rounds} alternating measurements each)`,
      '',
      `staleness after a write through A, ${o.writes} writes, B polled from just before each (ms from sending the write to A):`,
      '',
      '| event | p50 | max |',
      '|---|---|---|',
      ...(
        [
          ['A answers the update', s.answer],
          ['registry_changed heard by a LISTEN connection', s.notified],
          ['B’s first answer with the new description (polled directly)', s.seenOnB],
        ] as const
      ).map(([what, xs]) => `| ${what} | ${fmt(summarize(xs).p50, 2)} | ${fmt(Math.max(...xs), 2)} |`),
      '',
      `B's first new answer after A's answer: p50 ${fmt(summarize(afterAnswer).p50, 2)} ms, max ${fmt(Math.max(...afterAnswer), 2)} ms (negative: B answered it before A's answer reached the client)`,
      `stale answers seen: ${s.staleAfterAnswer} of B's ${s.polls} polls were sent after A had answered the write and still got the old description`,
      `peak RSS: A ${fmt(peakRssMb(a.pid) ?? Number.NaN, 0)} MB, B ${fmt(peakRssMb(b.pid) ?? Number.NaN, 0)} MB; took ${fmt((Date.now() - started) / 1000, 0)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const c of clients) await c.close();
    haproxy?.stop();
    // B first: A's stop drops the database they share.
    for (const s of servers.reverse()) await s.stop();
  }
}

function haproxyVersion(): string {
  const out = spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout ?? '';
  return /version (\S+)/.exec(out)?.[1] ?? 'unknown version';
}
