import { z } from 'zod';
import { bool, decimalId, list } from '../../http/wire';

/**
 * MLflow's `--older-than` format (`1d2h3m4s`, any of the parts, in that order), plain seconds, or 0
 * (everything deleted) → milliseconds; undefined for anything else.
 */
export function parseOlderThan(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m || t === '') return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  const ms = (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const RUN_ID = /^[0-9a-f]{32}$/;

/** POST /api/2.0/registry/gc: MLflow's `mlflow gc` options where they apply. */
export const RunGc = z.object({
  /** A duration such as 30d; absent: GC_RETENTION. */
  older_than: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseOlderThan(v) !== undefined, 'must be a duration such as 30d, 1d12h, 90m, 3600s, a number of seconds, or 0'),
  dry_run: bool().default(false),
  experiment_ids: list(decimalId('experiment_ids must hold experiment ids'), 1000).optional(),
  run_ids: list(z.string().regex(RUN_ID, 'run_ids must hold 32-character hex run ids'), 1000).optional(),
});
export type RunGcInput = z.output<typeof RunGc>;
