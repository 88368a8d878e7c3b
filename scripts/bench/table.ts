import os from 'node:os';
import { fmt } from './stats';

/** One measured figure of one server. */
export interface Figure {
  value: number;
  unit: 'ms' | 'runs/s' | 'req/s' | 'MB/s';
  digits?: number;
  detail: string;
  /** Failed or non-2xx requests during the measurement. */
  errors?: number;
}

export interface Row {
  workload: string;
  ours: string;
  reference: string;
  /** Ours against the reference, oriented so that > 1 means we are faster; '' when not measured. */
  ratio: string;
  target: string;
  /** undefined: no target (a physical reference); null: a target that cannot be judged in this run. */
  met: boolean | null | undefined;
  detail: string;
}

export const show = (f: Figure) => `${fmt(f.value, f.digits ?? (f.unit === 'ms' ? 1 : 0))} ${f.unit}`;

/** How many times faster `ours` is than `reference`: latencies divide one way, rates the other. */
export function speedup(ours: Figure, reference: Figure): number {
  return ours.unit === 'ms' ? reference.value / ours.value : ours.value / reference.value;
}

const withErrors = (f: Figure) => `${f.detail}${f.errors ? `; ${f.errors} errors/non-2xx` : ''}`;

/**
 * A row measured on our server and, when there is one, on the reference server. `reference` is a
 * Figure, or the reason it was not measured. The default target is 10× the reference.
 */
export function comparedRow(
  workload: string,
  ours: Figure | string,
  reference: Figure | string,
  target: { text: string; met: (ours: Figure, ratio: number | undefined) => boolean | null } = {
    text: '≥ 10× reference',
    met: (_, ratio) => (ratio === undefined ? null : ratio >= 10),
  },
): Row {
  if (typeof ours === 'string')
    return { workload, ours: 'skipped', reference: typeof reference === 'string' ? reference : show(reference), ratio: '', target: target.text, met: null, detail: ours };
  // A reference that completed no request in the run has no rate to divide by: no ratio, not judged.
  if (typeof reference !== 'string' && reference.value === 0) reference = `none completed (${withErrors(reference)})`;
  const ratio = typeof reference === 'string' ? undefined : speedup(ours, reference);
  const met = target.met(ours, ratio);
  return {
    workload,
    ours: show(ours),
    reference: typeof reference === 'string' ? reference : show(reference),
    ratio: ratio === undefined ? '' : `${fmt(ratio, ratio < 10 ? 2 : 1)}×`,
    target: target.text,
    met: ours.errors ? false : met,
    detail: typeof reference === 'string' ? withErrors(ours) : `ours ${withErrors(ours)} · reference ${withErrors(reference)}`,
  };
}

/** A physical reference of this machine (or a row with no reference server): measured, not compared. */
export function referenceRow(workload: string, f: Figure, note: string): Row {
  return { workload, ours: show(f), reference: '', ratio: '', target: '', met: undefined, detail: `${withErrors(f)}; ${note}` };
}

/**
 * The floor of a row: the same workload on a server that does only its plumbing (token check, body
 * parse, one raw statement). Says how much of it ours reaches and, with a reference figure, whether
 * 10× the reference is within that floor at all: when the plumbing alone cannot reach it, no server
 * on this stack and machine can.
 */
export function floorRow(workload: string, floor: Figure, ours: Figure | string, reference: Figure | string, note: string): Row {
  const parts: string[] = [];
  if (typeof ours !== 'string') parts.push(`ours at ${fmt((speedup(ours, floor) || 0) * 100, 0)} % of this`);
  if (typeof reference !== 'string' && reference.value > 0 && floor.value > 0) {
    const latency = floor.unit === 'ms';
    const needed = latency ? reference.value / 10 : reference.value * 10;
    const within = latency ? floor.value <= needed : floor.value >= needed;
    const shown = show({ ...floor, value: needed });
    parts.push(`10× the reference needs ${latency ? '≤' : '≥'} ${shown}: ${within ? 'within this floor' : 'beyond this floor, out of reach on this machine'}`);
  }
  parts.push(note);
  return referenceRow(workload, floor, parts.join('; '));
}

export interface TableMeta {
  url: string;
  compareUrl?: string;
  quick: boolean;
  seconds: number;
  peakRssMb?: number;
  referencePeakRssMb?: number;
  referenceRss: string;
  nodeFlags?: string;
}

const COLUMNS = ['workload', 'ours', 'reference', 'ratio', 'target'] as const;

export function printTable(rows: Row[], meta: TableMeta): void {
  const header: Row = { workload: 'workload', ours: 'ours', reference: 'reference', ratio: 'ratio', target: 'target', met: undefined, detail: 'p50 / p95 / p99, notes' };
  const all = [header, ...rows];
  const widths = COLUMNS.map((k) => Math.max(...all.map((r) => r[k].length)));
  const mark = (r: Row) => (r === header ? 'met' : r.met === undefined ? '   ' : r.met === null ? ' — ' : r.met ? ' ✓ ' : ' ✗ ');
  const line = (r: Row) => `| ${COLUMNS.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')} | ${mark(r)} | ${r.detail}`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nRegistry benchmark${meta.quick ? ' (--quick)' : ''}: ours ${meta.url}${meta.nodeFlags ? ` (node ${meta.nodeFlags} dist/main.js)` : ''}, ` +
      `reference ${meta.compareUrl ?? 'none (--compare-url <MLflow server>)'}\n` +
      `machine: ${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, Node ${process.version}\n` +
      `ratio: how many times faster ours is than the reference (> 1: ours is faster)\n\n`,
  );
  process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|-----|---\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  const rss = (mb: number | undefined, none: string) => (mb === undefined ? none : `${fmt(mb, 0)} MB`);
  process.stdout.write(
    `\npeak RSS, all processes summed: ours ${rss(meta.peakRssMb, 'n/a (external server)')}, reference ${rss(meta.referencePeakRssMb, meta.referenceRss)}` +
      `${meta.peakRssMb !== undefined && meta.referencePeakRssMb !== undefined ? ` (ours below the reference: ${meta.peakRssMb < meta.referencePeakRssMb ? '✓' : '✗'})` : ''}` +
      `\nbenchmark took ${fmt(meta.seconds, 0)} s\n`,
  );
}
