import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { MailJobPreparer } from './mail-job';
import { claimMail, deleteClaimedJob, dueMailIds, fillPreparedMail, markAttemptFailed, markDone, purgeFinishedMail, type OutboxMail } from './mail.repository';
import { inTransaction } from '../db/transaction';

export interface MailWorkerOptions {
  /** null: nothing leaves the portal; messages are kept in the outbox and their links logged. */
  smtpUrl: string | null;
  from: string;
  /** Print each kept message's links on the console (development without SMTP_URL). */
  printLinks?: boolean;
  pollMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a claim holds a message against other workers: longer than one SMTP conversation. */
  claimMs?: number;
  /** Finished messages (sent, kept, given up) older than this are deleted (MAIL_RETENTION_DAYS). */
  retentionDays?: number;
  /** How often the loop deletes them, and how many at most per statement. */
  purgeEveryMs?: number;
  purgeBatch?: number;
  /** Who prepares each kind of job row (mail-job.ts), by the name the row carries. */
  jobs?: Record<string, MailJobPreparer>;
  clock?: () => Date;
}

const DAY_MS = 24 * 3_600_000;

const SMTP_TIMEOUT_MS = 30_000;

/**
 * Sends what the outbox holds. Any number of portal processes may run one: each message is claimed
 * by a guarded UPDATE before it is sent, so only one of them sends it. A refused or failed send is
 * retried with exponential back-off and given up as `failed` after `maxAttempts`.
 */
export class MailWorker {
  /** Made on the first message: importing nodemailer at start-up cost ~0.2 s of every start. */
  private transport: Promise<Transporter> | null = null;
  private readonly smtpUrl: string | null;
  private readonly options: Required<Omit<MailWorkerOptions, 'smtpUrl'>>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  /** Set by stop(): the batch under way ends after the message being sent, not after the whole batch. */
  private stopping = false;
  private nextPurgeAt = 0;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    options: MailWorkerOptions,
  ) {
    this.smtpUrl = options.smtpUrl ?? null;
    this.options = {
      from: options.from,
      printLinks: options.printLinks ?? false,
      pollMs: options.pollMs ?? 2_000,
      batchSize: options.batchSize ?? 20,
      maxAttempts: options.maxAttempts ?? 10,
      retryBaseMs: options.retryBaseMs ?? 30_000,
      retryMaxMs: options.retryMaxMs ?? 3_600_000,
      claimMs: options.claimMs ?? 5 * 60_000,
      retentionDays: options.retentionDays ?? 30,
      purgeEveryMs: options.purgeEveryMs ?? 60_000,
      purgeBatch: options.purgeBatch ?? 500,
      jobs: options.jobs ?? {},
      clock: options.clock ?? (() => new Date()),
    };
  }

  private transportOf(): Promise<Transporter> | null {
    const url = this.smtpUrl;
    if (!url) return null;
    return (this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        // nodemailer reads the URL itself (host, port, secure, auth, ?pool=true…); these apply where it sets nothing.
        url,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      }),
    ));
  }

  /** Polls the outbox until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the message being sent, so the database can close after. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    (await this.transport?.catch(() => null))?.close();
  }

  /**
   * Delivers the messages due now (one batch), preparing job rows first; answers how many are done
   * with: left the portal, kept, or jobs that found nothing to send.
   */
  async runOnce(): Promise<number> {
    const now = this.options.clock();
    const ids = await dueMailIds(this.db, now, this.options.batchSize);
    let done = 0;
    for (const id of ids) {
      // Stopping (SIGTERM): the rest stay pending, unclaimed, for the next process.
      if (this.stopping) break;
      const token = randomBytes(16).toString('hex');
      const claimedAt = this.options.clock();
      let mail = await claimMail(this.db, id, token, claimedAt, new Date(claimedAt.getTime() + this.options.claimMs));
      if (!mail) continue; // another worker took it
      if (mail.job) {
        const prepared = await this.prepare(mail, token);
        if (prepared === 'failed') continue;
        if (prepared === 'nothing') {
          done++;
          continue;
        }
        mail = prepared;
      }
      if (await this.deliver(mail, token)) done++;
    }
    return done;
  }

  /** Deletes one batch of finished messages older than the retention; answers how many. */
  purge(): Promise<number> {
    const before = new Date(this.options.clock().getTime() - this.options.retentionDays * DAY_MS);
    return purgeFinishedMail(this.db, before, this.options.purgeBatch);
  }

  /** One turn of the loop: a batch to send, and now and then a batch to delete (again soon while batches come full). */
  private async turn(): Promise<number> {
    const done = await this.runOnce();
    const now = this.options.clock().getTime();
    if (now >= this.nextPurgeAt) {
      const purged = await this.purge();
      this.nextPurgeAt = purged >= this.options.purgeBatch ? now : now + this.options.purgeEveryMs;
    }
    return done;
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const run = this.turn();
      this.running = run;
      run
        .then((done) => this.schedule(done >= this.options.batchSize ? 0 : this.options.pollMs))
        .catch((err) => {
          this.logger.error({ err }, 'mail worker: outbox unreadable, retrying');
          this.schedule(this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Runs the job's preparer and turns the row into its message in one transaction (the token it
   * writes commits before anything is sent); a failure is retried like a refused send.
   */
  private async prepare(mail: OutboxMail, token: string): Promise<OutboxMail | 'nothing' | 'failed'> {
    try {
      const preparer = this.options.jobs[mail.job!];
      if (!preparer) throw new Error(`no preparer for mail job ${mail.job}`);
      const outcome = await inTransaction(this.db, async (trx) => {
        const prepared = await preparer(trx, { to: mail.to, locale: mail.locale, data: mail.jobData ?? {} });
        const written = prepared ? await fillPreparedMail(trx, mail.id, token, prepared) : await deleteClaimedJob(trx, mail.id, token);
        if (written !== 1) throw new Error('mail job: claim lost to another worker');
        return prepared ? { ...mail, ...prepared, job: null, jobData: null } : ('nothing' as const);
      });
      if (outcome === 'nothing') this.logger.info({ mailId: mail.id, template: mail.template }, 'mail job: nothing to send');
      return outcome;
    } catch (err) {
      await this.recordFailure(mail, token, err);
      return 'failed';
    }
  }

  private async deliver(mail: OutboxMail, token: string): Promise<boolean> {
    const transport = this.transportOf();
    if (!transport) {
      await markDone(this.db, mail.id, token, 'kept', this.options.clock());
      const links = linksIn(mail.text);
      // Its links carry one-time tokens: the log names the message, only the developer's console shows them.
      this.logger.info({ mailId: mail.id, template: mail.template }, 'mail kept in the outbox (no SMTP_URL)');
      if (this.options.printLinks) console.log(`  Mail #${mail.id} to ${mail.to}: ${mail.subject}${links.map((l) => `\n    ${l}`).join('')}\n  (read it at /dev/mail/${mail.id})`);
      return true;
    }
    try {
      await (await transport).sendMail({ from: this.options.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (err) {
      await this.recordFailure(mail, token, err);
      return false;
    }
    await markDone(this.db, mail.id, token, 'sent', this.options.clock());
    this.logger.info({ mailId: mail.id, template: mail.template, attempts: mail.attempts + 1 }, 'mail sent');
    return true;
  }

  private async recordFailure(mail: OutboxMail, token: string, err: unknown) {
    const attempts = mail.attempts + 1;
    const giveUp = attempts >= this.options.maxAttempts;
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), this.options.retryMaxMs);
    const error = describeSmtpError(err);
    await markAttemptFailed(this.db, mail.id, token, { error, giveUp, nextAttemptAt: new Date(this.options.clock().getTime() + delay) });
    const entry = { mailId: mail.id, template: mail.template, attempts, error };
    if (giveUp) this.logger.error(entry, 'mail failed: giving up');
    else this.logger.warn({ ...entry, retryInMs: delay }, 'mail not sent: will retry');
  }
}

/** The links a message carries, for the console in development. */
export function linksIn(text: string): string[] {
  // A sentence's closing punctuation is not part of the link.
  return [...new Set((text.match(/https?:\/\/[^\s<>"')]+/g) ?? []).map((l) => l.replace(/[.,;:!?]+$/, '')))];
}

/**
 * What went wrong, for the outbox and the log: the SMTP code and the server's answer, never the
 * credentials (a connection error may quote the SMTP URL it was given).
 */
export function describeSmtpError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const parts = [e.code, e.responseCode, e.response ?? e.message].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').replace(/\/\/[^@/\s]*@/g, '//***@').slice(0, 1000) || 'unknown error';
}
