import path from 'node:path';
import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { AuditService } from '../audit/audit.service';
import { ContactLedger } from '../contacts/contact-ledger';
import { ContactRepository } from '../contacts/contacts.repository';
import { isDomainError } from '../errors';
import { isLocale, DEFAULT_LOCALE } from '../i18n';
import { contactFromRecord, type ContactFromRow } from './contact-row';
import { openContactsCsv, type CsvRecord } from './csv-reader';
import { ImportJobRepository, type ImportIssue, type ImportJob, type JobCounts } from './import-jobs.repository';
import type { ImportInvitations } from './import-invitations';
import { FileDuplicates, outcomesOf, type RowOutcome } from './row-outcome';
import { inTransaction } from '../db/transaction';

/** Rows per batch: one transaction, two look-up statements and a few inserts each. */
export const BATCH_ROWS = 500;
/** How long a claim holds a job against other processes; renewed with every batch. */
export const LEASE_MS = 2 * 60_000;

export interface PhaseDeps {
  db: Knex;
  audit: AuditService;
  invitations: ImportInvitations;
  /** Where uploads are kept: `<DATA_DIR>/imports`. */
  folder: string;
  /** True once the process is stopping: the phase stops between two batches. */
  interrupted: () => boolean;
}

/**
 * The claim was taken over by another process (this one was too slow), or this process is
 * stopping: the phase stops without writing more, and the job is resumed from its last batch.
 */
export class ClaimLost extends Error {}

/** Nothing more can be written: the job fails with this message, what was committed stays. */
class JobStopped extends Error {
  constructor(readonly key: string, readonly params: Record<string, unknown>, readonly issues: ImportIssue[] = []) {
    super(key);
  }
}

const lease = () => new Date(Date.now() + LEASE_MS);
export const filePathOf = (folder: string, job: Pick<ImportJob, 'storedName'>) => path.join(folder, job.storedName);

async function* batches(records: AsyncIterable<CsvRecord>, size: number): AsyncGenerator<CsvRecord[]> {
  let batch: CsvRecord[] = [];
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** A record as a contact; a record the reader could not split (wrong number of fields) is an error row. */
function rowOf(record: CsvRecord): ContactFromRow {
  if (record.problem) return { line: record.line, fields: null, profile: null, issues: [{ line: record.line, column: null, key: record.problem.key, params: record.problem.params ?? {}, severity: 'error' }] };
  return contactFromRecord(record);
}

const issuesOf = (outcomes: RowOutcome[], phase: ImportIssue['phase']): ImportIssue[] =>
  outcomes.flatMap((o) => o.issues.map((i) => ({ phase, line: i.line, column: i.column, key: i.key, params: i.params ?? {}, severity: i.severity })));

/**
 * Phase one: reads the whole file, decides every row (nothing of the account is written), and
 * counts what the import would do; a file the reader refuses, or an import that needs more seats
 * than are free, ends as `refused`.
 */
export async function runPreview(deps: PhaseDeps, job: ImportJob, token: string): Promise<void> {
  const jobs = new ImportJobRepository();
  await jobs.deleteIssues(deps.db, job.id, 'preview');
  const counts: Required<Pick<JobCounts, 'total_rows' | 'error_rows' | 'warning_rows' | 'to_invite' | 'to_update' | 'unchanged_rows' | 'progress_rows'>> = {
    total_rows: 0, error_rows: 0, warning_rows: 0, to_invite: 0, to_update: 0, unchanged_rows: 0, progress_rows: 0,
  };
  const profiles = new Set<string>();
  const duplicates = new FileDuplicates();
  try {
    const { records } = await openContactsCsv(filePathOf(deps.folder, job));
    // Read once: the import decides every row again under the account's lock anyway.
    const ownerContactId = await ownerOf(deps.db, job.accountId);
    for await (const batch of batches(records, BATCH_ROWS)) {
      if (deps.interrupted()) throw new ClaimLost();
      const rows = batch.map((r) => duplicates.check(rowOf(r)));
      const outcomes = await outcomesOf(deps.db, rows, { accountId: job.accountId, updateExisting: job.updateExisting, ownerContactId, actorContactId: job.createdByContactId });
      for (const o of outcomes) {
        counts.total_rows++;
        if (o.kind === 'error') counts.error_rows++;
        else if (o.issues.some((i) => i.severity === 'warning')) counts.warning_rows++;
        if (o.kind === 'new') {
          counts.to_invite++;
          profiles.add(o.profile);
        } else if (o.kind === 'update') counts.to_update++;
        else if (o.kind === 'unchanged') counts.unchanged_rows++;
      }
      counts.progress_rows = counts.total_rows;
      await inTransaction(deps.db, async (trx) => {
        await jobs.addIssues(trx, job.id, issuesOf(outcomes, 'preview'));
        if (!(await jobs.advance(trx, job.id, token, counts, lease()))) throw new ClaimLost();
      });
    }
  } catch (err) {
    if (err instanceof ClaimLost || !isDomainError(err)) throw err;
    // The file itself is refused (found part-way, e.g. an unclosed quote): only that is said.
    await jobs.deleteIssues(deps.db, job.id, 'preview');
    await end(deps.db, job, token, 'refused', { ...counts, error_key: err.messageKey, error_params: JSON.stringify(err.params) });
    return;
  }
  const account = await new AccountRepository(deps.db).findById(job.accountId);
  const free = account ? Math.max(0, account.seat_limit - account.active_count - account.pending_count) : 0;
  if (counts.to_invite > free) {
    await end(deps.db, job, token, 'refused', { ...counts, profiles: JSON.stringify([...profiles]), error_key: 'importJobs.errors.seats', error_params: JSON.stringify({ needed: counts.to_invite, free }) });
    return;
  }
  await end(deps.db, job, token, 'previewed', { ...counts, profiles: JSON.stringify([...profiles]) });
}

/**
 * A job that failed for a reason nobody foresaw (logged by the runner): it ends `failed`; an
 * import's audit event says what its committed batches wrote.
 */
export async function failUnexpectedly(deps: PhaseDeps, jobId: number, token: string): Promise<void> {
  const jobs = new ImportJobRepository();
  const job = await jobs.findClaimed(deps.db, jobId, token);
  if (!job) return;
  await inTransaction(deps.db, async (trx) => {
    await end(trx, job, token, 'failed', { error_key: 'importJobs.errors.unexpected', error_params: null });
    if (job.state !== 'importing') return;
    const actor = job.confirmedBy ?? { userId: null, contactId: job.createdByContactId, name: job.createdByName };
    await deps.audit.record(trx, actor, {
      accountId: job.accountId, action: 'contacts.imported', target: { type: 'import', id: job.id },
      details: { file: job.fileName, state: 'failed', created: job.createdCount, updated: job.updatedCount, rejected: job.rejectedCount, error: 'importJobs.errors.unexpected' },
    });
  });
}

async function ownerOf(db: Knex, accountId: number): Promise<number | null> {
  return (await new AccountRepository(db).findById(accountId))?.owner_contact_id ?? null;
}

async function end(db: Knex | Knex.Transaction, job: ImportJob, token: string, state: ImportJob['state'], extra: Record<string, unknown>): Promise<void> {
  const finished = ['done', 'failed', 'refused'].includes(state) ? { finished_at: new Date() } : {};
  if (!(await new ImportJobRepository().advance(db, job.id, token, {}, lease(), { ...extra, ...finished, state, claim_token: null, claimed_until: null }))) throw new ClaimLost();
}

/**
 * Phase two, after confirmation: the file is read again and each batch of rows decided anew under
 * the account row's lock (the add form's lock: the seat check and counters stay exact against
 * concurrent adds) and written in one transaction with the job's progress, so a resumed job skips
 * exactly the batches that committed. "Tudo ou nada" runs every batch in one transaction instead.
 * One audit event, with the counts, ends the job.
 */
export async function runImport(deps: PhaseDeps, job: ImportJob, token: string): Promise<void> {
  const jobs = new ImportJobRepository();
  const ledger = new ContactLedger(deps.db);
  const contacts = new ContactRepository();
  const actor = job.confirmedBy ?? { userId: null, contactId: job.createdByContactId, name: job.createdByName };
  const locale = isLocale(job.locale) ? job.locale : DEFAULT_LOCALE;
  const started = { created: job.createdCount, updated: job.updatedCount, rejected: job.rejectedCount };
  let totals = { ...started };
  let duplicates = new FileDuplicates();
  let seen = 0;

  const writeBatch = async (trx: Knex.Transaction, rows: ContactFromRow[]) => {
    const account = await ledger.lockAccount(trx, job.accountId);
    const outcomes = await outcomesOf(trx, rows, { accountId: job.accountId, updateExisting: job.updateExisting, ownerContactId: account.owner_contact_id, actorContactId: actor.contactId });
    const rejected = outcomes.filter((o) => o.kind === 'error');
    if (job.allOrNothing && rejected.length) throw new JobStopped('importJobs.errors.allOrNothingFailed', { line: rejected[0]!.line }, issuesOf(rejected, 'import'));
    const fresh = outcomes.filter((o): o is Extract<RowOutcome, { kind: 'new' }> => o.kind === 'new');
    const ids = await ledger.enter(
      trx, account,
      fresh.map((o) => ({ ...o.fields, user_id: null, status: 'pending' as const, profile: o.profile, created_by_contact_id: actor.contactId })),
      (needed, free) => new JobStopped('importJobs.errors.seatsRanOut', { needed, free, created: totals.created }),
    );
    for (const o of outcomes) if (o.kind === 'update') await contacts.update(trx, job.accountId, o.existing.id, { ...o.fields, email: o.existing.email });
    if (!job.inviteLater) await deps.invitations.inviteInBulk(trx, actor, account, fresh.map((o, i) => ({ contactId: ids[i]!, email: o.fields.email })), locale);
    await jobs.addIssues(trx, job.id, issuesOf(rejected, 'import'));
    // The running totals move only once the batch committed: a rerun transaction counts it again.
    const after = { created: totals.created + fresh.length, updated: totals.updated + outcomes.filter((o) => o.kind === 'update').length, rejected: totals.rejected + rejected.length };
    const progress = { progress_rows: seen + rows.length, created_count: after.created, updated_count: after.updated, rejected_count: after.rejected };
    if (!(await jobs.advance(trx, job.id, token, progress, lease()))) throw new ClaimLost();
    return after;
  };

  const finish = async (trx: Knex.Transaction, state: 'done' | 'failed', error?: JobStopped) => {
    await end(trx, job, token, state, error ? { error_key: error.key, error_params: JSON.stringify(error.params) } : {});
    await deps.audit.record(trx, actor, {
      accountId: job.accountId, action: 'contacts.imported', target: { type: 'import', id: job.id },
      details: {
        file: job.fileName, state, created: totals.created, updated: totals.updated, rejected: totals.rejected,
        unchanged: job.unchangedRows, invitations: job.inviteLater ? 'later' : 'sent', allOrNothing: job.allOrNothing, ...(error ? { error: error.key } : {}),
      },
    });
  };

  const readAll = async (trx: Knex.Transaction | null) => {
    const { records } = await openContactsCsv(filePathOf(deps.folder, job));
    for await (const batch of batches(records, BATCH_ROWS)) {
      const rows = batch.map((r) => duplicates.check(rowOf(r)));
      // Resumed: these batches committed before the stop (progress_rows moves by whole batches).
      if (seen + rows.length <= job.progressRows) {
        seen += rows.length;
        continue;
      }
      if (deps.interrupted()) throw new ClaimLost();
      totals = trx ? await writeBatch(trx, rows) : await inTransaction(deps.db, (t) => writeBatch(t, rows));
      seen += rows.length;
    }
  };

  try {
    if (job.allOrNothing) {
      await inTransaction(deps.db, async (trx) => {
        // A rerun reads the file from its start again: nothing of an aborted attempt counts.
        [totals, duplicates, seen] = [{ ...started }, new FileDuplicates(), 0];
        await readAll(trx);
        await finish(trx, 'done');
      });
    } else {
      await readAll(null);
      await inTransaction(deps.db, (trx) => finish(trx, 'done'));
    }
  } catch (err) {
    if (err instanceof ClaimLost) throw err;
    const stopped = err instanceof JobStopped ? err
      : isDomainError(err) ? new JobStopped(err.messageKey, err.params)
      : null;
    if (!stopped) throw err;
    // What committed stays (batch by batch), or nothing did (tudo ou nada): the counts say which.
    if (job.allOrNothing) Object.assign(totals, { created: 0, updated: 0, rejected: 0 });
    await inTransaction(deps.db, async (trx) => {
      await jobs.addIssues(trx, job.id, stopped.issues);
      await finish(trx, 'failed', stopped);
    });
  }
}
