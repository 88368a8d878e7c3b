import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  x: number[];
  y: number[];
}

const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0b7285'];

/** A canvas line chart (uPlot): fast on long series, one x axis shared by every series. */
export function LineChart({ title, series, xLabel = 'step', height = 220 }: { title: string; series: Series[]; xLabel?: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
    const ys = series.map((s) => {
      const at = new Map(s.x.map((x, i) => [x, s.y[i] ?? null]));
      return xs.map((x) => at.get(x) ?? null);
    });
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const axis = { stroke: dark ? '#c9d1d9' : '#333', grid: { stroke: dark ? '#30363d' : '#e5e5e5' } };
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [{ ...axis, label: xLabel }, axis],
      series: [{ label: xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]!, width: 1.5, spanGaps: true }))],
    };
    const plot = new uPlot(opts, [xs, ...ys], el);
    plot.root.querySelector('canvas')?.setAttribute('aria-label', `${title} chart`);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [title, series, xLabel, height]);
  return <div className="chart" ref={box} role="img" aria-label={`Chart of ${title}`} data-metric={title} />;
}
