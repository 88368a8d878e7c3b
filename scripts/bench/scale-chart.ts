// The chart of `npm run bench -- --scale`: latency against size, both axes logarithmic, as an SVG
// written by hand (no charting dependency). On log-log axes a flat curve is horizontal, a linear one
// climbs one decade per decade of size; the dashed guide shows that slope for comparison.

export interface Series {
  name: string;
  /** [size, milliseconds] points; a missing measurement is left out. */
  points: Array<[number, number]>;
}

const W = 860;
const H = 520;
const M = { left: 70, right: 300, top: 40, bottom: 60 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const decades = (lo: number, hi: number) => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};
const sizeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const msLabel = (n: number) => (n >= 1000 ? `${n / 1000} s` : `${n} ms`);

export function scaleChart(title: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error('nothing to chart');
  const xs = decades(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])));
  const ys = decades(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const [x0, x1] = [Math.log10(xs[0]!), Math.log10(xs[xs.length - 1]!)];
  const [y0, y1] = [Math.log10(ys[0]!), Math.log10(ys[ys.length - 1]!)];
  const px = (x: number) => M.left + ((Math.log10(x) - x0) / Math.max(1e-9, x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((Math.log10(y) - y0) / Math.max(1e-9, y1 - y0)) * (H - M.top - M.bottom);
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="24" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  for (const x of xs) {
    out.push(`<line x1="${f(px(x))}" y1="${M.top}" x2="${f(px(x))}" y2="${H - M.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${f(px(x))}" y="${H - M.bottom + 18}" text-anchor="middle">${sizeLabel(x)}</text>`);
  }
  for (const y of ys) {
    out.push(`<line x1="${M.left}" y1="${f(py(y))}" x2="${W - M.right}" y2="${f(py(y))}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(py(y) + 4)}" text-anchor="end">${msLabel(y)}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 18}" text-anchor="middle">runs in the experiment (log scale); the big metric and the models grow with it</text>`);
  out.push(`<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">p50 latency (log scale)</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`);
  // The slope of a cost linear in size, from the lower left corner.
  const gx = xs[0]!;
  const gy = ys[0]!;
  const span = Math.min(x1 - x0, y1 - y0);
  out.push(`<line x1="${f(px(gx))}" y1="${f(py(gy))}" x2="${f(px(gx * 10 ** span))}" y2="${f(py(gy * 10 ** span))}" stroke="#aaa" stroke-dasharray="6 4"/>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (s.points.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${s.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')}"/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3.5" fill="${colour}"/>`);
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${W - M.right + 16}" y1="${ly}" x2="${W - M.right + 40}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 46}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  const gl = M.top + 10 + series.length * 20;
  out.push(`<line x1="${W - M.right + 16}" y1="${gl}" x2="${W - M.right + 40}" y2="${gl}" stroke="#aaa" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${W - M.right + 46}" y="${gl + 4}">slope of a cost linear in size</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
