import os from 'node:os';
import { fmt } from './stats';

export interface Row {
  workload: string;
  mlflow: string;
  target: string;
  measured: string;
  detail: string;
  met: boolean | undefined;
}

export function printTable(rows: Row[], meta: { url: string; quick: boolean; seconds: number; peakRssMb?: number; nodeFlags?: string }): void {
  const header: Row = { workload: 'workload', mlflow: 'MLflow', target: 'target', measured: 'measured', detail: 'p50 / p95 / p99, notes', met: undefined };
  const all = [header, ...rows];
  const widths = (['workload', 'mlflow', 'target', 'measured'] as const).map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row) =>
    `| ${r.workload.padEnd(widths[0]!)} | ${r.mlflow.padEnd(widths[1]!)} | ${r.target.padEnd(widths[2]!)} | ${r.measured.padEnd(widths[3]!)} | ${r.met === undefined ? ' ' : r.met ? '✓' : '✗'} | ${r.detail}`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nRegistry benchmark${meta.quick ? ' (--quick)' : ''} against ${meta.url}${meta.nodeFlags ? ` (node ${meta.nodeFlags} dist/main.js)` : ''}\n` +
      `machine: ${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, Node ${process.version}\n\n`,
  );
  process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|---|---\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(
    `\nserver peak RSS: ${meta.peakRssMb === undefined ? 'n/a (external server)' : `${fmt(meta.peakRssMb, 0)} MB, all processes summed (target < 300 MB)`}` +
      `\nbenchmark took ${fmt(meta.seconds, 0)} s\n`,
  );
}
