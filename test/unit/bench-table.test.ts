import { comparedRow, floorRow } from '../../scripts/bench/table';

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

  it('says whether 10× the reference is within the plumbing floor, for rates and latencies', () => {
    // Rates: 10× a reference of 50 needs 500; a floor of 400 cannot give it, one of 600 can.
    expect(floorRow('f', rate(400), rate(300), rate(50), 'n').detail).toBe(
      'd; ours at 75 % of this; 10× the reference needs ≥ 500 req/s: beyond this floor, out of reach on this machine; n',
    );
    expect(floorRow('f', rate(600), rate(300), rate(50), 'n').detail).toContain('needs ≥ 500 req/s: within this floor');
    // Latencies: 10× a reference of 77 ms needs 7.7 ms; a floor of 10.4 ms cannot give it.
    const latency = (value: number) => ({ value, unit: 'ms' as const, detail: 'd' });
    expect(floorRow('f', latency(10.4), latency(13), latency(77), 'n').detail).toBe(
      'd; ours at 80 % of this; 10× the reference needs ≤ 7.7 ms: beyond this floor, out of reach on this machine; n',
    );
    expect(floorRow('f', latency(5), latency(13), latency(77), 'n').detail).toContain('within this floor');
    // No reference figure: only our share.
    expect(floorRow('f', rate(400), rate(300), 'not measured', 'n').detail).toBe('d; ours at 75 % of this; n');
  });
});
