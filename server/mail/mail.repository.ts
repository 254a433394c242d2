import type { Knex } from 'knex';
import { insertId, toDate } from '../db/knex';
import type { PreparedMail } from './mail-job';

export type MailStatus = 'pending' | 'sent' | 'failed' | 'kept';

export interface OutboxMail {
  id: number;
  accountId: number | null;
  to: string;
  locale: string;
  template: string;
  subject: string;
  text: string;
  html: string;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** Set while the row is a job the worker prepares when it claims it (see mail-job.ts). */
  job: string | null;
  jobData: Record<string, unknown> | null;
}

type Row = Record<string, unknown>;

const fromRow = (r: Row): OutboxMail => ({
  id: Number(r.id),
  accountId: r.account_id === null ? null : Number(r.account_id),
  to: String(r.to_address),
  locale: String(r.locale),
  template: String(r.template),
  subject: String(r.subject),
  text: String(r.text),
  html: String(r.html),
  status: r.status as MailStatus,
  attempts: Number(r.attempts),
  nextAttemptAt: toDate(r.next_attempt_at)!,
  lastError: (r.last_error as string | null) ?? null,
  createdAt: toDate(r.created_at)!,
  sentAt: toDate(r.sent_at),
  job: (r.job as string | null) ?? null,
  jobData: typeof r.job_data === 'string' ? (JSON.parse(r.job_data) as Record<string, unknown>) : null,
});

export async function insertMail(
  trx: Knex.Transaction,
  m: { accountId: number | null; to: string; locale: string; template: string; subject: string; text: string; html: string; now: Date; job?: { name: string; data: Record<string, unknown> } },
): Promise<number> {
  return insertId(trx, 'mail_outbox', {
    account_id: m.accountId,
    to_address: m.to,
    locale: m.locale,
    template: m.template,
    subject: m.subject.slice(0, 500),
    text: m.text,
    html: m.html,
    status: 'pending',
    attempts: 0,
    next_attempt_at: m.now,
    created_at: m.now,
    job: m.job?.name ?? null,
    job_data: m.job ? JSON.stringify(m.job.data) : null,
  });
}

/** Many job rows in a few statements (an import's invitations), in the caller's transaction. */
export async function insertMailJobs(trx: Knex.Transaction, jobs: { accountId: number | null; to: string; locale: string; name: string; data: Record<string, unknown> }[], now: Date): Promise<void> {
  const rows = jobs.map((j) => ({
    account_id: j.accountId, to_address: j.to, locale: j.locale, template: j.name, subject: '', text: '', html: '',
    status: 'pending', attempts: 0, next_attempt_at: now, created_at: now, job: j.name, job_data: JSON.stringify(j.data),
  }));
  for (let i = 0; i < rows.length; i += 500) await trx('mail_outbox').insert(rows.slice(i, i + 500));
}

/** A claimed job becomes the message it prepared; 0 when the claim was lost (the caller rolls back). */
export function fillPreparedMail(trx: Knex.Transaction, id: number, token: string, m: PreparedMail): Promise<number> {
  return trx('mail_outbox')
    .where({ id, claim_token: token })
    .whereNotNull('job')
    .update({
      account_id: m.accountId, to_address: m.to, locale: m.locale, template: m.template, subject: m.subject.slice(0, 500),
      text: m.text, html: m.html, job: null, job_data: null,
    });
}

/** A claimed job with nothing to send leaves no trace. */
export function deleteClaimedJob(trx: Knex.Transaction, id: number, token: string): Promise<number> {
  return trx('mail_outbox').where({ id, claim_token: token }).whereNotNull('job').delete();
}

/** Ids of messages due now and not held by a live claim (oldest first). */
export async function dueMailIds(db: Knex, now: Date, limit: number): Promise<number[]> {
  const rows = await db('mail_outbox')
    .select('id')
    .where('status', 'pending')
    .andWhere('next_attempt_at', '<=', now)
    .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit);
  return rows.map((r: Row) => Number(r.id));
}

/**
 * Takes one message for one worker: the guarded UPDATE succeeds for exactly one of several workers
 * racing for the row (the database re-checks the WHERE under the row's write lock).
 */
export async function claimMail(db: Knex, id: number, token: string, now: Date, until: Date): Promise<OutboxMail | null> {
  const taken = await db('mail_outbox')
    .where({ id, status: 'pending' })
    .andWhere('next_attempt_at', '<=', now)
    .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
    .update({ claim_token: token, claimed_until: until });
  if (taken !== 1) return null;
  const row = await db('mail_outbox').where({ id, claim_token: token }).first();
  return row ? fromRow(row) : null;
}

// A message that left (or was given up on) keeps what it was, not what it said: its links carry
// live one-time tokens, and the database stores only their hashes everywhere else.
const REMOVED_BODY = { text: '', html: '' };

/** `sent`: the body is removed. `kept` (no SMTP_URL, development): the body stays, it is the developer's mailbox. */
export async function markDone(db: Knex, id: number, token: string, status: 'sent' | 'kept', now: Date): Promise<void> {
  await db('mail_outbox')
    .where({ id, claim_token: token })
    .update({
      status, sent_at: now, attempts: db.raw('attempts + 1'), claim_token: null, claimed_until: null, last_error: null,
      ...(status === 'sent' ? REMOVED_BODY : {}),
    });
}

export async function markAttemptFailed(db: Knex, id: number, token: string, m: { error: string; nextAttemptAt: Date; giveUp: boolean }): Promise<void> {
  await db('mail_outbox')
    .where({ id, claim_token: token })
    .update({
      status: m.giveUp ? 'failed' : 'pending',
      attempts: db.raw('attempts + 1'),
      last_error: m.error.slice(0, 1000),
      next_attempt_at: m.nextAttemptAt,
      claim_token: null,
      claimed_until: null,
      ...(m.giveUp ? REMOVED_BODY : {}),
    });
}

const FINISHED: MailStatus[] = ['sent', 'kept', 'failed'];

/**
 * Deletes up to `limit` finished messages written before `before` (oldest first); answers how
 * many. Ids first, then a delete by id: SQLite has no DELETE … LIMIT, and a short statement keeps
 * MariaDB's locks (and a Galera write set) small.
 */
export async function purgeFinishedMail(db: Knex, before: Date, limit: number): Promise<number> {
  const rows = await db('mail_outbox').select('id').whereIn('status', FINISHED).andWhere('created_at', '<', before).orderBy('created_at').limit(limit);
  if (!rows.length) return 0;
  return db('mail_outbox').whereIn('id', rows.map((r: Row) => Number(r.id))).whereIn('status', FINISHED).delete();
}

export async function recentMail(db: Knex, limit: number): Promise<OutboxMail[]> {
  const rows = await db('mail_outbox').orderBy('id', 'desc').limit(limit);
  return rows.map(fromRow);
}

export async function findMail(db: Knex, id: number): Promise<OutboxMail | null> {
  const row = await db('mail_outbox').where({ id }).first();
  return row ? fromRow(row) : null;
}

/**
 * LGPD erasure: the account's mail to the address goes (sent or not: the person is no longer a
 * contact); the account's other mail that names the person gets the pseudonym instead (an
 * invitation "sent by" them, a notice naming them). `accountId` null: mail of no account.
 */
export async function erasePersonFromMail(trx: Knex.Transaction, accountId: number | null, email: string | null, needles: { like: string; pattern: RegExp }[], pseudonym: string): Promise<void> {
  const scoped = () => (accountId === null ? trx('mail_outbox').whereNull('account_id') : trx('mail_outbox').where({ account_id: accountId }));
  if (email) await scoped().where({ to_address: email }).delete();
  if (!needles.length) return;
  const columns = ['subject', 'text', 'html', 'job_data'] as const;
  const rows: Row[] = await scoped().select('id', ...columns).where((w) => {
    for (const n of needles) for (const c of columns) w.orWhereRaw(`?? like ? escape '!'`, [c, n.like]);
  });
  for (const row of rows) {
    const patch: Record<string, string> = {};
    for (const c of columns) {
      if (typeof row[c] !== 'string') continue;
      const replaced = needles.reduce((text, n) => text.replace(n.pattern, pseudonym), row[c] as string);
      if (replaced !== row[c]) patch[c] = replaced;
    }
    if (Object.keys(patch).length) await trx('mail_outbox').where({ id: row.id }).update(patch);
  }
}
