import type { Knex } from 'knex';
import type { Actor } from '../audit/audit.service';
import { insertId, toDate } from '../db/knex';

type Q = Knex | Knex.Transaction;

/**
 * previewing → previewed (→ importing → done | failed) ; refused: the file or the seats stop it
 * before anything is written; cancelled: the administrator dropped a preview.
 */
export type ImportState = 'previewing' | 'previewed' | 'refused' | 'importing' | 'done' | 'failed' | 'cancelled';
export const WORKED_STATES: readonly ImportState[] = ['previewing', 'importing'];

export interface ImportJob {
  id: number;
  accountId: number;
  createdByContactId: number | null;
  createdByName: string | null;
  fileName: string;
  storedName: string;
  fileBytes: number;
  encoding: string | null;
  separator: string | null;
  unknownColumns: string[];
  /** The profiles the file's valid rows ask for (known after the preview). */
  profiles: string[];
  /** Who confirmed the import, as the audit event names them. */
  confirmedBy: Actor | null;
  updateExisting: boolean;
  allOrNothing: boolean;
  inviteLater: boolean;
  locale: string;
  state: ImportState;
  error: { key: string; params: Record<string, unknown> } | null;
  totalRows: number;
  errorRows: number;
  warningRows: number;
  toInvite: number;
  toUpdate: number;
  unchangedRows: number;
  progressRows: number;
  createdCount: number;
  updatedCount: number;
  rejectedCount: number;
  createdAt: Date;
  confirmedAt: Date | null;
  finishedAt: Date | null;
  fileRemoved: boolean;
}

export interface ImportIssue {
  phase: 'preview' | 'import';
  line: number;
  column: string | null;
  key: string;
  params: Record<string, unknown>;
  severity: 'error' | 'warning';
}

/** The counts a phase writes as it goes (snake_case columns of import_jobs). */
export type JobCounts = Partial<Record<'total_rows' | 'error_rows' | 'warning_rows' | 'to_invite' | 'to_update' | 'unchanged_rows' | 'progress_rows' | 'created_count' | 'updated_count' | 'rejected_count', number>>;

const json = <T>(raw: unknown, fallback: T): T => (typeof raw === 'string' && raw ? (JSON.parse(raw) as T) : fallback);

function jobOf(r: Record<string, unknown>): ImportJob {
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    createdByContactId: r.created_by_contact_id === null ? null : Number(r.created_by_contact_id),
    createdByName: (r.created_by_name as string | null) ?? null,
    fileName: String(r.file_name),
    storedName: String(r.stored_name),
    fileBytes: Number(r.file_bytes),
    encoding: (r.encoding as string | null) ?? null,
    separator: (r.separator as string | null) ?? null,
    unknownColumns: json<string[]>(r.unknown_columns, []),
    profiles: json<string[]>(r.profiles, []),
    confirmedBy: json<Actor | null>(r.confirmed_by, null),
    updateExisting: Boolean(r.update_existing),
    allOrNothing: Boolean(r.all_or_nothing),
    inviteLater: Boolean(r.invite_later),
    locale: String(r.locale),
    state: r.state as ImportState,
    error: r.error_key ? { key: String(r.error_key), params: json(r.error_params, {}) } : null,
    totalRows: Number(r.total_rows),
    errorRows: Number(r.error_rows),
    warningRows: Number(r.warning_rows),
    toInvite: Number(r.to_invite),
    toUpdate: Number(r.to_update),
    unchangedRows: Number(r.unchanged_rows),
    progressRows: Number(r.progress_rows),
    createdCount: Number(r.created_count),
    updatedCount: Number(r.updated_count),
    rejectedCount: Number(r.rejected_count),
    createdAt: toDate(r.created_at)!,
    confirmedAt: toDate(r.confirmed_at),
    finishedAt: toDate(r.finished_at),
    fileRemoved: Boolean(r.file_removed),
  };
}

export interface NewImportJob {
  accountId: number;
  createdByContactId: number | null;
  createdByName: string | null;
  fileName: string;
  storedName: string;
  fileBytes: number;
  encoding: string;
  separator: string;
  unknownColumns: string[];
  updateExisting: boolean;
  allOrNothing: boolean;
  inviteLater: boolean;
  locale: string;
}

/** import_jobs and import_job_issues: knex only. Every read is scoped by account. */
export class ImportJobRepository {
  async insert(q: Q, job: NewImportJob): Promise<number> {
    const now = new Date();
    return insertId(q, 'import_jobs', {
      account_id: job.accountId, created_by_contact_id: job.createdByContactId, created_by_name: job.createdByName,
      file_name: job.fileName, stored_name: job.storedName, file_bytes: job.fileBytes, encoding: job.encoding, separator: job.separator,
      unknown_columns: JSON.stringify(job.unknownColumns), update_existing: job.updateExisting, all_or_nothing: job.allOrNothing,
      invite_later: job.inviteLater, locale: job.locale, state: 'previewing', created_at: now, updated_at: now,
    });
  }

  async find(q: Q, accountId: number, id: number): Promise<ImportJob | undefined> {
    const row = await q('import_jobs').where({ id, account_id: accountId }).first();
    return row ? jobOf(row) : undefined;
  }

  /** The worker's read: by id alone, for a job it holds the claim of. */
  async findClaimed(q: Q, id: number, token: string): Promise<ImportJob | undefined> {
    const row = await q('import_jobs').where({ id, claim_token: token }).first();
    return row ? jobOf(row) : undefined;
  }

  async recent(q: Q, accountId: number, limit: number): Promise<ImportJob[]> {
    const rows = await q('import_jobs').where({ account_id: accountId }).orderBy('id', 'desc').limit(limit);
    return rows.map(jobOf);
  }

  /** Jobs to work whose claim is free or has lapsed (a process stopped while working them). */
  async claimable(q: Q, now: Date, limit: number): Promise<number[]> {
    const rows = await q('import_jobs').select('id').whereIn('state', WORKED_STATES as ImportState[])
      .where((w) => w.whereNull('claimed_until').orWhere('claimed_until', '<', now)).orderBy('id').limit(limit);
    return rows.map((r) => Number(r.id));
  }

  /** Takes (or renews) the claim; false when another process holds it or the job is not worked any more. */
  async claim(q: Q, id: number, token: string, now: Date, until: Date): Promise<boolean> {
    const n = await q('import_jobs').where({ id }).whereIn('state', WORKED_STATES as ImportState[])
      .where((w) => w.whereNull('claimed_until').orWhere('claimed_until', '<', now).orWhere('claim_token', token))
      .update({ claim_token: token, claimed_until: until, updated_at: now });
    return n === 1;
  }

  /**
   * Writes a phase's progress under the claim, in the caller's transaction: 0 rows changed means the
   * claim was lost, and the caller rolls the batch back.
   */
  async advance(q: Q, id: number, token: string, counts: JobCounts, until: Date, extra: Record<string, unknown> = {}): Promise<boolean> {
    const n = await q('import_jobs').where({ id, claim_token: token }).update({ ...counts, ...extra, claimed_until: until, updated_at: new Date() });
    return n === 1;
  }

  /** Lets a claim go (this process stops): another process, or the next start, resumes at once. */
  async release(q: Q, id: number, token: string): Promise<void> {
    await q('import_jobs').where({ id, claim_token: token }).update({ claim_token: null, claimed_until: null });
  }

  /** Moves a job between states; `from` guards against a concurrent change (answers false then). */
  async setState(q: Q, accountId: number, id: number, from: ImportState[], to: ImportState, extra: Record<string, unknown> = {}): Promise<boolean> {
    const n = await q('import_jobs').where({ id, account_id: accountId }).whereIn('state', from).update({ ...extra, state: to, updated_at: new Date() });
    return n === 1;
  }

  async addIssues(q: Q, jobId: number, issues: ImportIssue[]): Promise<void> {
    if (!issues.length) return;
    const rows = issues.map((i) => ({
      job_id: jobId, phase: i.phase, line: i.line, column_name: i.column, message_key: i.key,
      params: Object.keys(i.params).length ? JSON.stringify(i.params) : null, severity: i.severity,
    }));
    for (let i = 0; i < rows.length; i += 500) await q('import_job_issues').insert(rows.slice(i, i + 500));
  }

  async deleteIssues(q: Q, jobId: number, phase: 'preview' | 'import'): Promise<void> {
    await q('import_job_issues').where({ job_id: jobId, phase }).delete();
  }

  /** The first issues in line order. */
  async issues(q: Q, jobId: number, options: { limit: number }): Promise<(ImportIssue & { id: number })[]> {
    const query = q('import_job_issues').where({ job_id: jobId }).orderBy([{ column: 'line' }, { column: 'id' }]).limit(options.limit);
    const rows = await query;
    return rows.map((r) => ({
      id: Number(r.id), phase: r.phase, line: Number(r.line), column: r.column_name ?? null, key: r.message_key,
      params: json(r.params, {}), severity: r.severity,
    }));
  }

  /** Every error's lines, for the rejected rows' report (streamed file, joined by line). */
  async errorLines(q: Q, jobId: number): Promise<Map<number, ImportIssue[]>> {
    const rows = await q('import_job_issues').where({ job_id: jobId, severity: 'error' }).orderBy([{ column: 'line' }, { column: 'id' }]);
    const byLine = new Map<number, ImportIssue[]>();
    for (const r of rows) {
      const list = byLine.get(Number(r.line)) ?? [];
      list.push({ phase: r.phase, line: Number(r.line), column: r.column_name ?? null, key: r.message_key, params: json(r.params, {}), severity: 'error' });
      byLine.set(Number(r.line), list);
    }
    return byLine;
  }

  /** Jobs ended before `before` whose file is still kept. */
  async endedWithFiles(q: Q, before: Date, limit: number): Promise<{ id: number; storedName: string }[]> {
    const rows = await q('import_jobs').select('id', 'stored_name').where({ file_removed: false })
      .whereIn('state', ['previewed', 'refused', 'done', 'failed', 'cancelled']).where('updated_at', '<', before).limit(limit);
    return rows.map((r) => ({ id: Number(r.id), storedName: String(r.stored_name) }));
  }

  /**
   * LGPD erasure: jobs the person started or confirmed keep a pseudonym for them, and the issues of
   * the account's jobs that quote one of `needles` (a padded CPF, an e-mail; `like` finds the rows, the global `pattern` replaces) have those params
   * replaced. The uploaded files are not opened: the sweep removes them with the issues.
   */
  async erasePerson(q: Q, accountId: number, contactId: number, needles: { like: string; pattern: RegExp }[], pseudonym: string): Promise<void> {
    await q('import_jobs').where({ account_id: accountId, created_by_contact_id: contactId }).update({ created_by_name: pseudonym });
    const confirmed: { id: number; confirmed_by: string }[] = await q('import_jobs').select('id', 'confirmed_by').where({ account_id: accountId }).whereNotNull('confirmed_by');
    for (const job of confirmed) {
      const actor = json<Record<string, unknown> | null>(job.confirmed_by, null);
      if (actor && Number(actor.contactId) === contactId) await q('import_jobs').where({ id: job.id }).update({ confirmed_by: JSON.stringify({ ...actor, name: pseudonym }) });
    }
    if (!needles.length) return;
    const jobs = q('import_jobs').select('id').where({ account_id: accountId });
    const issues: { id: number; params: string }[] = await q('import_job_issues').select('id', 'params').whereIn('job_id', jobs).whereNotNull('params')
      .where((w) => { for (const n of needles) w.orWhereRaw("params like ? escape '!'", [n.like]); });
    for (const issue of issues) {
      const params = needles.reduce((text, n) => text.replace(n.pattern, pseudonym), issue.params);
      await q('import_job_issues').where({ id: issue.id }).update({ params });
    }
  }

  async markFileRemoved(q: Q, id: number): Promise<void> {
    await q('import_job_issues').where({ job_id: id }).delete();
    await q('import_jobs').where({ id }).update({ file_removed: true });
  }
}
