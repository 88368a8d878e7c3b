import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  x: number[];
  y: number[];
}

export interface ChartOptions {
  /** x values are epoch seconds, drawn as dates. */
  xTime?: boolean;
  logY?: boolean;
  /** Points only (a scatter), no lines. */
  scatter?: boolean;
  yLabel?: string;
}

export const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0b7285', '#c2255c', '#5c940d', '#1864ab', '#862e9c'];

/** A canvas line chart (uPlot): fast on long series, one x axis shared by every series. */
export function LineChart({ title, series, xLabel = 'step', height = 220, options = {} }: { title: string; series: Series[]; xLabel?: string; height?: number; options?: ChartOptions }) {
  const box = useRef<HTMLDivElement>(null);
  const { xTime = false, logY = false, scatter = false, yLabel } = options;
  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
    const ys = series.map((s) => {
      const at = new Map(s.x.map((x, i) => [x, s.y[i] ?? null]));
      // A log scale cannot draw zero or negative values: they are left out.
      return xs.map((x) => {
        const y = at.get(x) ?? null;
        return logY && y !== null && y <= 0 ? null : y;
      });
    });
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const axis = { stroke: dark ? '#c9d1d9' : '#333', grid: { stroke: dark ? '#30363d' : '#e5e5e5' }, ticks: { stroke: dark ? '#30363d' : '#e5e5e5' } };
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time: xTime }, y: logY ? { distr: 3 } : {} },
      axes: [
        { ...axis, label: xLabel },
        { ...axis, ...(yLabel ? { label: yLabel } : {}) },
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => {
          const stroke = COLORS[i % COLORS.length]!;
          return scatter
            ? { label: s.label, stroke, fill: stroke, paths: () => null, points: { show: true, size: 8, fill: stroke } }
            : { label: s.label, stroke, width: 1.5, spanGaps: true };
        }),
      ],
    };
    const plot = new uPlot(opts, [xs, ...ys], el);
    plot.root.querySelector('canvas')?.setAttribute('aria-label', `${title} chart`);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [title, series, xLabel, height, xTime, logY, scatter, yLabel]);
  return <div className="chart" ref={box} role="img" aria-label={`Chart of ${title}`} data-metric={title} data-points={series.reduce((n, s) => n + s.x.length, 0)} />;
}
