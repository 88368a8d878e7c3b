import { comparedRow } from '../../scripts/bench/table';

// The benchmark's verdicts: a row is judged only against what the reference really did.
describe('benchmark rows', () => {
  const rate = (value: number, errors = 0) => ({ value, unit: 'req/s' as const, detail: 'd', errors });

  it('divides rates and latencies the right way round and judges 10×', () => {
    expect(comparedRow('w', rate(1000), rate(50))).toMatchObject({ ratio: '20.0×', met: true });
    expect(comparedRow('w', rate(400), rate(50))).toMatchObject({ ratio: '8.00×', met: false });
    const latency = (value: number) => ({ value, unit: 'ms' as const, detail: 'd' });
    expect(comparedRow('w', latency(2), latency(40))).toMatchObject({ ratio: '20.0×', met: true });
  });

  it('does not judge a row whose reference completed no request', () => {
    const row = comparedRow('w', rate(30), rate(0, 12));
    expect(row).toMatchObject({ ratio: '', met: null });
    expect(row.reference).toBe('none completed (d; 12 errors/non-2xx)');
  });

  it('fails a row where ours had errors, whatever the ratio', () => {
    expect(comparedRow('w', rate(1000, 3), rate(10))).toMatchObject({ ratio: '100.0×', met: false });
  });
});
