export const formatTime = (ms: number | string | undefined): string => {
  const n = Number(ms);
  return ms === undefined || !Number.isFinite(n) || n === 0 ? '' : new Date(n).toLocaleString();
};

export function formatDuration(startMs: number | string | undefined, endMs: number | string | undefined): string {
  const start = Number(startMs);
  if (!start) return '';
  const end = Number(endMs) || Date.now();
  const s = Math.max(0, Math.round((end - start) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export const formatNumber = (v: number | undefined): string =>
  v === undefined ? '' : Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(6).replace(/\.?0+$/, '') : v.toExponential(4);

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
