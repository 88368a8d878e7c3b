import { RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { ArtifactStore } from '../../storage/artifact-store';
import { keyOfArtifactUri } from '../../storage/artifact-key';
import { ownerOfKey } from '../../storage/artifact-layout';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { DeletedExperiment, DeletedLoggedModel, DeletedRun, DeletedVersion, GcRepository, GcScope, Tx } from './gc.repository';

/**
 * Garbage collection (README "Garbage collection"): what was soft-deleted more than `olderThanMs` ago goes
 * for good with its artifacts, and store keys that no row owns any more go too.
 *
 * - Runs (deleted_time), logged models and experiments (deleted at their last update time; experiments
 *   have no deleted_time column) and model versions (stage Deleted_Internal, deleted at their last
 *   update; their source is redacted at delete, so they own no files: the row goes, the number stays
 *   taken). Registered models are hard-deleted already (their uploads become orphans, below).
 * - One transaction per batch: the rows are locked (FOR UPDATE SKIP LOCKED: a restore waits and then
 *   finds nothing; two collectors never share rows), the files under each resource's own prefix are
 *   removed except those a live model version points into, then the rows are deleted and one audit
 *   event per resource is written. A crash anywhere rolls the rows back: a rerun finds them and
 *   finishes (files already gone are simply not found again).
 * - Orphans: files under `<experiment>/<run>/artifacts`, `<experiment>/models/<id>/artifacts`,
 *   `<experiment>/...` or `registry/<model>/...` whose run, logged model, experiment or registered model
 *   no longer exists, and uploads (`registry/<model>/uploads/<id>`) no live version uses, older than the
 *   cutoff. Keys outside the layout are never touched.
 * - The webhooks' delivery log: finished deliveries older than WEBHOOK_LOG_RETENTION (not
 *   `olderThanMs`: that is about deleted data), through the webhooks module (`webhookLog`).
 * - One collector at a time across replicas (PostgreSQL advisory lock); a dry run takes no lock and
 *   changes nothing.
 */

export interface GcOptions {
  /** Soft-deleted longer ago than this (ms) is collected; 0: everything deleted. */
  olderThanMs: number;
  dryRun?: boolean;
  /** Only these experiments (their runs, logged models, the experiments themselves, their orphans). */
  experimentIds?: readonly string[];
  /** Only these runs (MLflow's `gc --run-ids`). */
  runIds?: readonly string[];
  /** Who the audit events name (an admin calling the endpoint; the CLI and the schedule: a system actor). */
  actor?: Principal;
  /** Stops between batches. */
  signal?: AbortSignal;
  onProgress?: (p: GcProgress) => void;
}

export type GcPhase = 'runs' | 'logged-models' | 'experiments' | 'model-versions' | 'orphans' | 'incomplete-uploads' | 'webhook-log';

export interface GcProgress {
  phase: GcPhase;
  /** Resources (or, for orphans, files looked at) handled so far in this phase. */
  done: number;
  /** Known for every phase but orphans. */
  total?: number;
  files: number;
  bytes: number;
}

export interface Tally {
  count: number;
  files: number;
  bytes: number;
}

export interface GcReport {
  dryRun: boolean;
  olderThanMs: number;
  cutoffMs: number;
  runs: Tally;
  loggedModels: Tally;
  experiments: Tally;
  modelVersions: Tally;
  /** count: owners (runs, models, uploads, ...) whose leftover files went. */
  orphans: Tally;
  /** S3 multipart uploads started and never completed (count: uploads, bytes: their parts). */
  incompleteUploads: Tally;
  /** Finished webhook deliveries (and the events left without one) older than the log's retention. */
  webhookLog: { deliveries: number; events: number; cutoffMs?: number };
  /** Files inside collected resources kept because a live model version points at them. */
  kept: { files: number; bytes: number };
  /** True when the run stopped early (signal). */
  stopped: boolean;
}

export const GC_ACTOR: Principal = Object.freeze({ subject: 'system:gc', groups: [], isAdmin: true });

export interface GcServiceOptions {
  repo: GcRepository;
  store: ArtifactStore;
  audit: AuditService;
  clock: Clock;
  /** Resources per transaction. */
  batchSize?: number;
  /** Unused uploads younger than this are never orphans, whatever olderThanMs says (an upload may be in flight). */
  minUploadAgeMs?: number;
  /** The webhooks' delivery log and how long it is kept (the webhooks module prunes it). */
  webhookLog?: { retentionMs: number; prune(cutoffMs: number, dryRun: boolean): Promise<{ deliveries: number; events: number }> };
}

/**
 * What is never removed: keys equal to or under a live model version's location, or under the custom
 * location of an existing experiment (one that is not the default `<id>`), except, while that very
 * experiment is being collected, its own.
 */
class LiveSources {
  private readonly prefixes: Array<{ key: string; experimentId?: bigint }> = [];

  constructor(versionLocations: string[], experimentLocations: Array<{ id: bigint; location: string }> = []) {
    for (const l of versionLocations) this.add(l);
    for (const e of experimentLocations) this.add(e.location, e.id);
  }

  private add(uri: string, experimentId?: bigint): void {
    try {
      const key = keyOfArtifactUri(uri);
      if (key === undefined || (experimentId !== undefined && key === String(experimentId))) return;
      this.prefixes.push({ key, experimentId });
    } catch {
      // An unsafe location was never served; it protects nothing.
    }
  }

  /** The same, less the location of experiment `id` (the one being collected). */
  except(id: bigint): LiveSources {
    const view = new LiveSources([]);
    view.prefixes.push(...this.prefixes.filter((p) => p.experimentId !== id));
    return view;
  }

  has(key: string): boolean {
    return this.prefixes.some(({ key: p }) => p === '' || key === p || key.startsWith(`${p}/`));
  }

  /** Whether anything under directory `dir` may be protected. */
  touches(dir: string): boolean {
    return this.prefixes.some(({ key: p }) => p === '' || p === dir || p.startsWith(`${dir}/`) || dir.startsWith(`${p}/`));
  }
}

interface Swept {
  files: number;
  bytes: number;
  keptFiles: number;
  keptBytes: number;
}

const tally = (): Tally => ({ count: 0, files: 0, bytes: 0 });
const BATCH = 50;
const ORPHAN_CHUNK = 500;
const HOUR_MS = 3_600_000;

/** The store key a resource owns, only if it is exactly its own place in the layout (artifact-layout.ts). */
function ownKey(uri: string, expected: (key: string) => boolean): string | undefined {
  try {
    const key = keyOfArtifactUri(uri);
    return key !== undefined && expected(key) ? key : undefined;
  } catch {
    return undefined;
  }
}
const runKey = (r: { id: string; artifactUri: string }) => ownKey(r.artifactUri, (k) => new RegExp(`^(0|[1-9]\\d{0,17})/${r.id}/artifacts$`).test(k));
const modelKey = (m: { id: string; artifactLocation: string }) => ownKey(m.artifactLocation, (k) => new RegExp(`^(0|[1-9]\\d{0,17})/models/${m.id}/artifacts$`).test(k));
const experimentKey = (e: { id: bigint; artifactLocation: string }) => ownKey(e.artifactLocation, (k) => k === String(e.id));

type OrphanOwner =
  | { kind: 'run'; experimentId: string; id: string; prefix: string }
  | { kind: 'logged-model'; experimentId: string; id: string; prefix: string }
  | { kind: 'experiment'; experimentId: string; prefix: string }
  | { kind: 'upload'; modelId: string; prefix: string }
  | { kind: 'registered-model'; modelId: string; prefix: string };

const RUN_KEY = /^((?:0|[1-9]\d{0,17}))\/([0-9a-f]{32})\/artifacts\//;
const MODEL_KEY = /^((?:0|[1-9]\d{0,17}))\/models\/(m-[0-9a-f]{32})\/artifacts\//;
const EXPERIMENT_KEY = /^(0|[1-9]\d{0,17})\//;
const UPLOAD_KEY = /^registry\/([1-9]\d{0,17})\/uploads\/([^/]+)\//;
const REGISTRY_KEY = /^registry\/([1-9]\d{0,17})\//;

function ownerOfOrphan(key: string): OrphanOwner | undefined {
  let m = RUN_KEY.exec(key);
  if (m) return { kind: 'run', experimentId: m[1]!, id: m[2]!, prefix: `${m[1]}/${m[2]}/artifacts` };
  m = MODEL_KEY.exec(key);
  if (m) return { kind: 'logged-model', experimentId: m[1]!, id: m[2]!, prefix: `${m[1]}/models/${m[2]}/artifacts` };
  m = EXPERIMENT_KEY.exec(key);
  if (m) return { kind: 'experiment', experimentId: m[1]!, prefix: m[1]! };
  m = UPLOAD_KEY.exec(key);
  if (m) return { kind: 'upload', modelId: m[1]!, prefix: `registry/${m[1]}/uploads/${m[2]}` };
  m = REGISTRY_KEY.exec(key);
  if (m) return { kind: 'registered-model', modelId: m[1]!, prefix: `registry/${m[1]}` };
  return undefined;
}

export class GcService {
  private readonly repo: GcRepository;
  private readonly store: ArtifactStore;
  private readonly audit: AuditService;
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly minUploadAgeMs: number;

  constructor(private readonly options: GcServiceOptions) {
    this.repo = options.repo;
    this.store = options.store;
    this.audit = options.audit;
    this.clock = options.clock;
    this.batchSize = options.batchSize ?? BATCH;
    this.minUploadAgeMs = options.minUploadAgeMs ?? HOUR_MS;
  }

  /** The same collector on another store or with other limits (tests: a store that fails midway). */
  with(overrides: Partial<GcServiceOptions>): GcService {
    return new GcService({ ...this.options, ...overrides });
  }

  /**
   * Collects (or, dry, counts) everything in scope. Throws RESOURCE_CONFLICT when another collector
   * holds the lock (a dry run never waits for it).
   */
  async run(o: GcOptions): Promise<GcReport> {
    if (o.dryRun) return this.collect(o);
    const outcome = await this.repo.withCollectorLock(() => this.collect(o));
    if (!outcome.ran) throw new RegistryError('RESOURCE_CONFLICT', 'Garbage collection is already running (on this or another replica); try again when it has finished.');
    return outcome.value;
  }

  private async collect(o: GcOptions): Promise<GcReport> {
    const nowMs = this.clock.nowMs();
    const cutoffMs = nowMs - o.olderThanMs;
    const cutoff = BigInt(cutoffMs);
    const scope: GcScope = {
      experimentIds: o.experimentIds?.map((id) => BigInt(id)),
      runIds: o.runIds ? [...o.runIds] : undefined,
    };
    // Without a scope everything is collected; --run-ids alone touches those runs only.
    const onlyRuns = scope.runIds !== undefined && scope.experimentIds === undefined;
    const everything = scope.runIds === undefined && scope.experimentIds === undefined;
    const report: GcReport = {
      dryRun: o.dryRun === true,
      olderThanMs: o.olderThanMs,
      cutoffMs,
      runs: tally(),
      loggedModels: tally(),
      experiments: tally(),
      modelVersions: tally(),
      orphans: tally(),
      incompleteUploads: tally(),
      webhookLog: { deliveries: 0, events: 0 },
      kept: { files: 0, bytes: 0 },
      stopped: false,
    };
    const totals = await this.repo.countCandidates(cutoff, scope, everything);
    const ctx: Ctx = { o, cutoff, scope, report, actor: o.actor ?? GC_ACTOR, counted: [] };
    await this.collectRuns(ctx, totals.runs);
    if (!onlyRuns) {
      await this.collectLoggedModels(ctx, totals.loggedModels);
      await this.collectExperiments(ctx, totals.experiments);
    }
    if (everything) await this.collectVersions(ctx, totals.modelVersions);
    if (!onlyRuns) await this.collectOrphans(ctx, nowMs);
    if (!onlyRuns) await this.collectIncompleteUploads(ctx, nowMs);
    if (everything && this.options.webhookLog && !o.signal?.aborted) {
      const cutoffMs = nowMs - this.options.webhookLog.retentionMs;
      report.webhookLog = { ...(await this.options.webhookLog.prune(cutoffMs, report.dryRun)), cutoffMs };
      o.onProgress?.({ phase: 'webhook-log', done: report.webhookLog.deliveries, files: 0, bytes: 0 });
    }
    report.stopped = o.signal?.aborted === true;
    return report;
  }

  // ---------------------------------------------------------------------------------------------

  private async liveSources(tx?: Tx): Promise<LiveSources> {
    return new LiveSources(await this.repo.liveVersionLocations(tx), await this.repo.customExperimentLocations(tx));
  }

  /** Removes (dry: counts) every file under `dir` but the live ones. */
  private async sweep(ctx: Ctx, dir: string, live: LiveSources, dry: boolean): Promise<Swept> {
    const s: Swept = { files: 0, bytes: 0, keptFiles: 0, keptBytes: 0 };
    const selective = live.touches(dir);
    const counted = dry ? ctx.counted.filter((c) => c.startsWith(`${dir}/`)) : [];
    if (dry) ctx.counted.push(dir);
    for await (const f of this.store.walk(dir)) {
      if (counted.some((c) => f.key.startsWith(`${c}/`))) continue;
      if (selective && live.has(f.key)) {
        s.keptFiles++;
        s.keptBytes += f.size;
        continue;
      }
      s.files++;
      s.bytes += f.size;
      if (!dry && selective) await this.store.remove(f.key);
    }
    // Child by child rather than remove(dir): some S3 servers refuse a one-segment key such as '12'.
    if (!dry && !selective && s.files > 0) for (const e of await this.store.list(dir)) await this.store.remove(`${dir}/${e.name}`);
    return s;
  }

  private add(t: Tally, kept: GcReport['kept'], s: Swept): void {
    t.count++;
    t.files += s.files;
    t.bytes += s.bytes;
    kept.files += s.keptFiles;
    kept.bytes += s.keptBytes;
  }

  private progress(ctx: Ctx, phase: GcPhase, t: Tally, total?: number): void {
    ctx.o.onProgress?.({ phase, done: t.count, total, files: t.files, bytes: t.bytes });
  }

  /**
   * Batches of `find` until none is left: each batch in one transaction (locked rows, files, row
   * deletes, audit), or for a dry run one page after another with nothing locked or changed.
   */
  private async batches<T>(
    ctx: Ctx,
    find: (db: Tx | undefined, cursor: T | undefined) => Promise<T[]>,
    handle: (items: T[], live: LiveSources, tx: Tx | undefined) => Promise<AuditEvent[]>,
    remove: (items: T[], tx: Tx) => Promise<void>,
  ): Promise<void> {
    let cursor: T | undefined;
    for (;;) {
      if (ctx.o.signal?.aborted) return;
      if (ctx.report.dryRun) {
        const items = await find(undefined, cursor);
        if (items.length === 0) return;
        await handle(items, await this.liveSources(), undefined);
        cursor = items[items.length - 1];
        continue;
      }
      const n = await this.repo.transaction(async (tx) => {
        const items = await find(tx, undefined);
        if (items.length === 0) return 0;
        const events = await handle(items, await this.liveSources(tx), tx);
        await remove(items, tx);
        await this.audit.record(ctx.actor, events, tx);
        return items.length;
      });
      if (n === 0) return;
    }
  }

  private async collectRuns(ctx: Ctx, total: number): Promise<void> {
    const t = ctx.report.runs;
    this.progress(ctx, 'runs', t, total);
    await this.batches<DeletedRun>(
      ctx,
      (tx, c) => this.repo.deletedRuns(ctx.cutoff, ctx.scope, this.batchSize, tx, tx !== undefined, c && { time: c.deletedTime, id: c.id }),
      async (runs, live, tx) => {
        const events: AuditEvent[] = [];
        for (const run of runs) {
          const key = runKey(run);
          const s = key === undefined ? { files: 0, bytes: 0, keptFiles: 0, keptBytes: 0 } : await this.sweep(ctx, key, live, tx === undefined);
          this.add(t, ctx.report.kept, s);
          events.push({
            action: 'gc_run',
            resourceType: 'experiment',
            experimentId: run.experimentId,
            before: { run_id: run.id, lifecycle_stage: 'deleted', deleted_time: String(run.deletedTime) },
            after: { files_removed: s.files, bytes_removed: s.bytes, files_kept: s.keptFiles },
          });
          this.progress(ctx, 'runs', t, total);
        }
        return events;
      },
      (runs, tx) =>
        this.repo.deleteRuns(
          runs.map((r) => r.id),
          tx,
        ),
    );
  }

  private async collectLoggedModels(ctx: Ctx, total: number): Promise<void> {
    const t = ctx.report.loggedModels;
    this.progress(ctx, 'logged-models', t, total);
    await this.batches<DeletedLoggedModel>(
      ctx,
      (tx, c) => this.repo.deletedLoggedModels(ctx.cutoff, ctx.scope, this.batchSize, tx, tx !== undefined, c && { time: c.lastUpdatedTime, id: c.id }),
      async (models, live, tx) => {
        const events: AuditEvent[] = [];
        for (const m of models) {
          const key = modelKey(m);
          const s = key === undefined ? { files: 0, bytes: 0, keptFiles: 0, keptBytes: 0 } : await this.sweep(ctx, key, live, tx === undefined);
          this.add(t, ctx.report.kept, s);
          events.push({
            action: 'gc_logged_model',
            resourceType: 'experiment',
            experimentId: m.experimentId,
            before: { model_id: m.id, lifecycle_stage: 'deleted', deleted_time: String(m.lastUpdatedTime) },
            after: { files_removed: s.files, bytes_removed: s.bytes, files_kept: s.keptFiles },
          });
          this.progress(ctx, 'logged-models', t, total);
        }
        return events;
      },
      (models, tx) =>
        this.repo.deleteLoggedModels(
          models.map((m) => m.id),
          tx,
        ),
    );
  }

  /** An experiment goes with everything still in it (one with an active run is left alone). */
  private async collectExperiments(ctx: Ctx, total: number): Promise<void> {
    const t = ctx.report.experiments;
    this.progress(ctx, 'experiments', t, total);
    await this.batches<DeletedExperiment>(
      ctx,
      (tx, c) => this.repo.deletedExperiments(ctx.cutoff, ctx.scope, Math.max(1, Math.floor(this.batchSize / 10)), tx, tx !== undefined, c?.id),
      async (experiments, live, tx) => {
        const events: AuditEvent[] = [];
        for (const e of experiments) {
          const dry = tx === undefined;
          const contents = await this.repo.contentsOfExperiment(e.id, tx);
          const s: Swept = { files: 0, bytes: 0, keptFiles: 0, keptBytes: 0 };
          const own = experimentKey(e);
          // The default location holds all of it; elsewhere only the runs' and models' own prefixes are ours.
          const dirs = own !== undefined ? [own] : [...contents.runs.map(runKey), ...contents.models.map(modelKey)].filter((k): k is string => k !== undefined);
          for (const dir of dirs) {
            const d = await this.sweep(ctx, dir, live.except(e.id), dry);
            s.files += d.files;
            s.bytes += d.bytes;
            s.keptFiles += d.keptFiles;
            s.keptBytes += d.keptBytes;
          }
          this.add(t, ctx.report.kept, s);
          events.push({
            action: 'gc_experiment',
            resourceType: 'experiment',
            experimentId: e.id,
            before: {
              name: e.name,
              lifecycle_stage: 'deleted',
              deleted_time: String(e.lastUpdateTime),
              runs: contents.runs.length,
              logged_models: contents.models.length,
              run_ids: contents.runs.slice(0, 100).map((r) => r.id),
            },
            after: { files_removed: s.files, bytes_removed: s.bytes, files_kept: s.keptFiles },
          });
          this.progress(ctx, 'experiments', t, total);
        }
        return events;
      },
      async (experiments, tx) => {
        for (const e of experiments) await this.repo.deleteExperiment(e.id, tx);
      },
    );
  }

  private async collectVersions(ctx: Ctx, total: number): Promise<void> {
    const t = ctx.report.modelVersions;
    this.progress(ctx, 'model-versions', t, total);
    await this.batches<DeletedVersion>(
      ctx,
      (tx, c) => this.repo.deletedVersions(ctx.cutoff, this.batchSize, tx, tx !== undefined, c),
      (versions) => {
        const events = versions.map((v): AuditEvent => ({
          action: 'gc_model_version',
          resourceType: 'registered_model',
          modelId: v.modelId,
          modelName: v.modelName,
          version: v.version,
          before: { stage: 'Deleted_Internal', deleted_time: String(v.lastUpdatedTime) },
        }));
        t.count += versions.length;
        this.progress(ctx, 'model-versions', t, total);
        return Promise.resolve(events);
      },
      (versions, tx) => this.repo.deleteVersions(versions, tx),
    );
  }

  // ---------------------------------------------------------------------------------------------

  private async collectOrphans(ctx: Ctx, nowMs: number): Promise<void> {
    const dirs = ctx.scope.experimentIds ? ctx.scope.experimentIds.map(String) : [''];
    const uploadCutoffMs = nowMs - Math.max(ctx.o.olderThanMs, this.minUploadAgeMs);
    let seen = 0;
    const t = ctx.report.orphans;
    for (const dir of dirs) {
      let chunk: Array<{ key: string; size: number; owner: OrphanOwner }> = [];
      for await (const f of this.store.walk(dir)) {
        if (ctx.o.signal?.aborted) return;
        seen++;
        const owner = ownerOfOrphan(f.key);
        if (owner) chunk.push({ ...f, owner });
        if (chunk.length >= ORPHAN_CHUNK) {
          await this.orphanChunk(ctx, chunk, uploadCutoffMs);
          chunk = [];
          ctx.o.onProgress?.({ phase: 'orphans', done: seen, files: t.files, bytes: t.bytes });
        }
      }
      if (chunk.length > 0) await this.orphanChunk(ctx, chunk, uploadCutoffMs);
      ctx.o.onProgress?.({ phase: 'orphans', done: seen, files: t.files, bytes: t.bytes });
    }
  }

  /**
   * Multipart uploads (MLflow's proxy multipart protocol, or a put whose abort was lost) that were
   * started before the upload cutoff and never completed: their parts are invisible to listings but
   * stored and billed. Aborted, one audit event per owner; keys outside the layout are left alone.
   */
  private async collectIncompleteUploads(ctx: Ctx, nowMs: number): Promise<void> {
    const multipart = this.store.multipart;
    if (multipart === undefined) return;
    const uploadCutoffMs = nowMs - Math.max(ctx.o.olderThanMs, this.minUploadAgeMs);
    const t = ctx.report.incompleteUploads;
    const events: AuditEvent[] = [];
    for (const prefix of ctx.scope.experimentIds ? ctx.scope.experimentIds.map((id) => `${id}/`) : ['']) {
      for await (const u of multipart.incomplete(prefix)) {
        if (ctx.o.signal?.aborted) break;
        const owner = ownerOfKey(u.key);
        if (owner === undefined || u.initiated === undefined || u.initiated.getTime() >= uploadCutoffMs) continue;
        if (!ctx.report.dryRun) await multipart.abort(u.key, u.uploadId);
        t.count++;
        t.files++;
        t.bytes += u.size;
        const where: Pick<AuditEvent, 'resourceType' | 'experimentId' | 'modelId'> =
          owner.kind === 'model-upload'
            ? { resourceType: 'registered_model', modelId: BigInt(owner.registeredModelId) }
            : { resourceType: 'experiment', experimentId: BigInt(owner.experimentId) };
        events.push({ action: 'gc_incomplete_upload', ...where, before: { key: u.key, upload_id: u.uploadId, initiated: u.initiated.toISOString() }, after: { bytes_removed: u.size } });
        ctx.o.onProgress?.({ phase: 'incomplete-uploads', done: t.count, files: t.files, bytes: t.bytes });
      }
    }
    if (!ctx.report.dryRun && events.length > 0) await this.audit.record(ctx.actor, events);
  }

  private async orphanChunk(ctx: Ctx, files: Array<{ key: string; size: number; owner: OrphanOwner }>, uploadCutoffMs: number): Promise<void> {
    const ids = (kind: OrphanOwner['kind']) => [...new Set(files.filter((f) => f.owner.kind === kind).map((f) => ('id' in f.owner ? f.owner.id : '')))];
    const runs = await this.repo.existingRuns(ids('run'));
    const models = await this.repo.existingLoggedModels(ids('logged-model'));
    const experiments = await this.repo.existingExperiments([
      ...new Set(files.filter((f) => 'experimentId' in f.owner).map((f) => BigInt((f.owner as { experimentId: string }).experimentId))),
    ]);
    const registered = await this.repo.existingRegisteredModels([...new Set(files.filter((f) => 'modelId' in f.owner).map((f) => BigInt((f.owner as { modelId: string }).modelId)))]);
    // Read after the owners: a version registered since is seen here (a key it names cannot be an orphan
    // of a missing owner, since registering needs the owner; uploads are the case that matters).
    const live = await this.liveSources();
    const groups = new Map<string, { owner: OrphanOwner; files: number; bytes: number }>();
    for (const f of files) {
      if (live.has(f.key) || !(await this.isOrphan(f.key, f.owner, { runs, models, experiments, registered }, uploadCutoffMs))) continue;
      if (!ctx.report.dryRun) await this.store.remove(f.key);
      const g = groups.get(f.owner.prefix) ?? { owner: f.owner, files: 0, bytes: 0 };
      g.files++;
      g.bytes += f.size;
      groups.set(f.owner.prefix, g);
    }
    const events: AuditEvent[] = [];
    for (const [prefix, g] of groups) {
      const t = ctx.report.orphans;
      t.count++;
      t.files += g.files;
      t.bytes += g.bytes;
      const where: Pick<AuditEvent, 'resourceType' | 'experimentId' | 'modelId'> =
        'experimentId' in g.owner ? { resourceType: 'experiment', experimentId: BigInt(g.owner.experimentId) } : { resourceType: 'registered_model', modelId: BigInt(g.owner.modelId) };
      events.push({ action: 'gc_orphans', ...where, before: { prefix, owner: g.owner.kind }, after: { files_removed: g.files, bytes_removed: g.bytes } });
    }
    if (!ctx.report.dryRun) await this.audit.record(ctx.actor, events);
  }

  private async isOrphan(
    key: string,
    owner: OrphanOwner,
    rows: { runs: Set<string>; models: Set<string>; experiments: Set<string>; registered: Set<string> },
    uploadCutoffMs: number,
  ): Promise<boolean> {
    switch (owner.kind) {
      case 'run':
        return !rows.runs.has(owner.id);
      case 'logged-model':
        return !rows.models.has(owner.id);
      case 'experiment':
        return !rows.experiments.has(owner.experimentId);
      case 'registered-model':
        return !rows.registered.has(owner.modelId);
      case 'upload': {
        if (!rows.registered.has(owner.modelId)) return true;
        const stat = await this.store.stat(key);
        return stat?.lastModified !== undefined && stat.lastModified.getTime() < uploadCutoffMs;
      }
    }
  }
}

interface Ctx {
  o: GcOptions;
  /** Dry run: prefixes already counted (a run's files are not counted again with its experiment). */
  counted: string[];
  cutoff: bigint;
  scope: GcScope;
  report: GcReport;
  actor: Principal;
}
