// npx tsx scripts/bench/cpu-per-request.ts [--service-dir <built checkout>]... [--requests 20000] [--rounds 3]
// CPU time the service's process spends per request (user + system, from /proc/<pid>/stat), for
// the registry GET of an admin and of a non-admin whose READ comes from a group grant, on one or
// more builds of the service (this checkout by default; a git worktree of another commit, built
// with `npx tsc -p tsconfig.build.json` there, to compare). Builds take turns round by round, so a
// neighbour that loads the machine loads them alike; CPU time, unlike latency, does not include
// waiting for the core. Complements instructions.ts, whose counts under valgrind include V8
// compiling code that a native run compiled long before.
import fs from 'node:fs';
import os from 'node:os';
import { parseCommandLine, withUsage } from '../../src/cli/args';
import { mintToken } from '../../src/lib/tokens';
import { BenchClient } from './client';
import { startScratchServer } from './server';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function cpuMicros(pid: number): number {
  // Fields after the command (which may hold spaces) start at ')'; utime and stime are the 12th and 13th after it.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function measure(serviceDir: string | undefined, requests: number, adminUrl: string, log: (m: string) => void): Promise<{ admin: number; group: number }> {
  const server = await startScratchServer(adminUrl, log, serviceDir !== undefined ? { serviceDir } : {});
  const admin = new BenchClient(server.url, server.token);
  const reader = new BenchClient(server.url, mintToken({ secret: server.secret, subject: 'cpu-reader', groups: ['cpu-readers'], ttl: '2h' }));
  try {
    const name = `cpu-${Date.now()}`;
    await admin.post('registered-models/create', { name });
    await admin.post('registered-models/permissions/create', { name, group: 'cpu-readers', permission: 'READ' });
    const perRequest = async (api: BenchClient) => {
      for (let i = 0; i < requests / 2; i++) await api.get('registered-models/get', { name }); // warm-up
      const before = cpuMicros(server.pid);
      for (let i = 0; i < requests; i++) await api.get('registered-models/get', { name });
      return (cpuMicros(server.pid) - before) / requests;
    };
    return { admin: await perRequest(admin), group: await perRequest(reader) };
  } finally {
    await admin.close();
    await reader.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const usage = 'usage: tsx scripts/bench/cpu-per-request.ts [--service-dir <built checkout>]... [--requests 20000] [--rounds 3] [--admin-url <postgres url>]';
  const { values } = withUsage(usage, () => {
    const parsed = parseCommandLine(process.argv.slice(2), {
      'service-dir': { type: 'string', multiple: true },
      requests: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '3' },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    });
    return parsed;
  });
  const dirs: Array<string | undefined> = values['service-dir']?.length ? values['service-dir'] : [undefined];
  const requests = Number(values.requests);
  const log = (m: string) => process.stderr.write(`[cpu] ${m}\n`);
  const results = new Map<string, Array<{ admin: number; group: number }>>();
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const dir of dirs) {
      const label = dir ?? 'this checkout';
      log(`round ${round}: ${label}`);
      const r = await measure(dir, requests, values['admin-url'], log);
      results.set(label, [...(results.get(label) ?? []), r]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = [...results].map(([label, rs]) => {
    const a = rs.map((r) => r.admin);
    const g = rs.map((r) => r.group);
    const f = (xs: number[]) => `${median(xs).toFixed(0)} µs (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    return `| ${label} | ${f(a)} | ${f(g)} |`;
  });
  process.stdout.write(
    `\n${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; ${requests} requests per measure, median of ${values.rounds} rounds (range)\n\n` +
      `| build | registered-models/get, admin | registered-models/get, non-admin via group grant |\n|---|---|---|\n${rows.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`cpu-per-request failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
