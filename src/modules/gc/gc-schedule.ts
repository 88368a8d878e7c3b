import { RegistryError } from '../../errors';
import type { Logger } from '../../logger';
import type { GcReport, GcService } from './gc.service';

/**
 * GC_INTERVAL: collects what was deleted more than GC_RETENTION ago, every interval, in every replica;
 * the collector's advisory lock lets one of them work at a time (the others skip that round).
 */
export class GcSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly gc: GcService,
    private readonly intervalMs: number,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    this.logger.info({ intervalMs: this.intervalMs, retentionMs: this.retentionMs }, 'garbage collection is scheduled');
  }

  /** One round now (also what the timer runs); resolves when it has finished or was skipped. */
  tick(): Promise<void> {
    this.running ??= this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<void> {
    let report: GcReport;
    try {
      report = await this.gc.run({ olderThanMs: this.retentionMs, signal: this.abort.signal });
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'RESOURCE_CONFLICT') {
        this.logger.debug('garbage collection skipped: another replica is collecting');
        return;
      }
      this.logger.warn({ err }, 'scheduled garbage collection failed; the next round retries');
      return;
    }
    const files = report.runs.files + report.loggedModels.files + report.experiments.files + report.orphans.files;
    const bytes = report.runs.bytes + report.loggedModels.bytes + report.experiments.bytes + report.orphans.bytes + report.incompleteUploads.bytes;
    this.logger.info(
      {
        runs: report.runs.count,
        experiments: report.experiments.count,
        loggedModels: report.loggedModels.count,
        modelVersions: report.modelVersions.count,
        orphanFiles: report.orphans.files,
        incompleteUploads: report.incompleteUploads.count,
        files,
        bytes,
      },
      'garbage collection done',
    );
  }

  /** Stops the timer and lets a round in progress end after its current batch. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }
}
