import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ImportJobRepository } from './import-jobs.repository';
import { ClaimLost, failUnexpectedly, filePathOf, LEASE_MS, runImport, runPreview, type PhaseDeps } from './import-phases';

/** Uploaded files, and the per-row messages, are kept this long after a job ends. */
export const IMPORT_FILE_DAYS = 3;
const DAY_MS = 86_400_000;

export interface ImportRunnerOptions {
  pollMs?: number;
  sweepEveryMs?: number;
}

/**
 * Works import jobs in the app process. A request that creates or confirms a job starts it at once
 * (kick); the poll started by server/main.ts picks up what no process is working: a job whose
 * process stopped resumes there, from its last committed batch. Any number of processes may run
 * one: a job is worked under a claim (import_jobs.claim_token) that each batch renews.
 */
export class ImportRunner {
  private readonly jobs = new ImportJobRepository();
  private readonly working = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private stopping = false;
  private nextSweepAt = 0;
  private readonly pollMs: number;
  private readonly sweepEveryMs: number;

  constructor(private readonly deps: Omit<PhaseDeps, 'interrupted'>, private readonly logger: Pick<Logger, 'error' | 'info'>, options: ImportRunnerOptions = {}) {
    this.pollMs = options.pollMs ?? 5_000;
    this.sweepEveryMs = options.sweepEveryMs ?? 10 * 60_000;
  }

  /** Starts working a job now, in the background; a job this process already works is left alone. */
  kick(jobId: number): void {
    if (this.stopping || this.working.has(jobId)) return;
    const run = this.work(jobId).finally(() => this.working.delete(jobId));
    this.working.set(jobId, run);
  }

  /** Until every job this process started is finished (tests, tools). */
  async idle(): Promise<void> {
    while (this.working.size) await Promise.allSettled([...this.working.values()]);
  }

  /** One turn of the poll: the jobs nobody works, then, now and then, the sweep of old files. */
  async runOnce(): Promise<void> {
    this.stopping = false;
    for (const id of await this.jobs.claimable(this.deps.db, new Date(), 10)) this.kick(id);
    await this.idle();
    if (Date.now() >= this.nextSweepAt) {
      await this.sweep();
      this.nextSweepAt = Date.now() + this.sweepEveryMs;
    }
  }

  start(): void {
    if (this.polling) return;
    this.polling = true;
    this.stopping = false;
    const turn = () => {
      this.timer = setTimeout(() => {
        this.runOnce()
          .catch((err) => this.logger.error({ err }, 'import runner: jobs unreadable, retrying'))
          .finally(() => {
            if (this.polling) turn();
          });
      }, this.pollMs);
      this.timer.unref();
    };
    turn();
  }

  /**
   * Stops between two batches: what committed stays, the claim is let go so the next start (or
   * another process) resumes the job at once.
   */
  async stop(): Promise<void> {
    this.polling = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }

  /** Files and per-row messages of jobs ended more than IMPORT_FILE_DAYS ago; a preview left that long is dropped. */
  async sweep(): Promise<number> {
    const before = new Date(Date.now() - IMPORT_FILE_DAYS * DAY_MS);
    const ended = await this.jobs.endedWithFiles(this.deps.db, before, 100);
    for (const job of ended) {
      await rm(filePathOf(this.deps.folder, job), { force: true });
      await this.jobs.markFileRemoved(this.deps.db, job.id);
    }
    return ended.length;
  }

  private async work(jobId: number): Promise<void> {
    const token = randomBytes(16).toString('hex');
    const deps: PhaseDeps = { ...this.deps, interrupted: () => this.stopping };
    try {
      if (!(await this.jobs.claim(this.deps.db, jobId, token, new Date(), new Date(Date.now() + LEASE_MS)))) return;
      const job = await this.jobs.findClaimed(this.deps.db, jobId, token);
      if (!job) return;
      if (job.state === 'previewing') await runPreview(deps, job, token);
      else if (job.state === 'importing') await runImport(deps, job, token);
    } catch (err) {
      if (err instanceof ClaimLost) {
        // Stopped between batches, or another process took the job over: let it go (if still ours).
        await this.jobs.release(this.deps.db, jobId, token).catch(() => undefined);
        return;
      }
      this.logger.error({ err, importJob: jobId }, 'import job failed');
      await failUnexpectedly(deps, jobId, token).catch((e) => this.logger.error({ err: e, importJob: jobId }, 'import job: could not record its failure'));
    }
  }
}
