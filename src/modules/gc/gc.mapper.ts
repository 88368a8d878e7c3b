import type { GcReport, Tally } from './gc.service';

const tally = (t: Tally) => ({ count: t.count, files: t.files, bytes: t.bytes });

/** The endpoint's answer (snake_case, as the rest of the API). */
export function toApiGcReport(r: GcReport): object {
  return {
    dry_run: r.dryRun,
    older_than_ms: r.olderThanMs,
    cutoff_time: r.cutoffMs,
    runs: tally(r.runs),
    logged_models: tally(r.loggedModels),
    experiments: tally(r.experiments),
    model_versions: { count: r.modelVersions.count },
    orphans: tally(r.orphans),
    incomplete_uploads: { count: r.incompleteUploads.count, bytes: r.incompleteUploads.bytes },
    webhook_log: { deliveries: r.webhookLog.deliveries, events: r.webhookLog.events, ...(r.webhookLog.cutoffMs !== undefined ? { cutoff_time: r.webhookLog.cutoffMs } : {}) },
    kept: { files: r.kept.files, bytes: r.kept.bytes },
    total: {
      files: r.runs.files + r.loggedModels.files + r.experiments.files + r.orphans.files,
      bytes: r.runs.bytes + r.loggedModels.bytes + r.experiments.bytes + r.orphans.bytes + r.incompleteUploads.bytes,
    },
    ...(r.stopped ? { stopped: true } : {}),
  };
}
