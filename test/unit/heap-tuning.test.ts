import { execFileSync } from 'node:child_process';
import path from 'node:path';

const tuningModule = path.resolve(__dirname, '../../src/lib/heap-tuning.ts');

/**
 * Full collections (mark-compact) a fresh node process runs while it builds up ~290 MB of live
 * objects after setHeapGrowingPercent(percent): the further the heap may grow after each
 * collection, the fewer it needs.
 */
function fullCollections(percent: number): number {
  const script = `
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    require(${JSON.stringify(tuningModule)}).setHeapGrowingPercent(${percent});
    let majors = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }).observe({ entryTypes: ['gc'] });
    const keep = [];
    for (let i = 0; i < 150; i++) { const a = new Array(50000); for (let j = 0; j < a.length; j++) a[j] = { j }; keep.push(a); }
    setTimeout(() => process.stdout.write(String(keep.length && majors)), 200);
  `;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 }));
}

describe('setHeapGrowingPercent', () => {
  it('takes effect when set after start-up: a tight limit collects more often than a loose one', () => {
    const tight = fullCollections(1);
    const loose = fullCollections(300);
    expect(loose).toBeGreaterThan(0);
    expect(tight).toBeGreaterThan(loose);
  });
});
