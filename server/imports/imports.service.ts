import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Acting } from '../audit/actor';
import { AccountRepository } from '../accounts/accounts.repository';
import { Conflict, Forbidden, NotFound, isDomainError } from '../errors';
import type { Locale } from '../i18n';
import { openContactsCsv, TEMPLATE_COLUMNS, type CsvFileInfo, type ImportColumn } from './csv-reader';
import { ImportJobRepository, type ImportIssue, type ImportJob } from './import-jobs.repository';
import type { ImportInvitations } from './import-invitations';

/** A file multer wrote into the imports folder. */
export interface UploadedFile {
  path: string;
  originalName: string;
  size: number;
}

export interface ImportOptions {
  updateExisting: boolean;
  allOrNothing: boolean;
  inviteLater: boolean;
}

/** Issues shown on the preview page; the rest are in the rejected rows' CSV. */
export const ISSUES_SHOWN = 200;

/** A name fit to show and to put in an audit event: no folders, no control characters, not too long. */
const displayName = (name: string) => (path.basename(name.replace(/\\/g, '/')).replace(/[\p{Cc}\p{Cf}]/gu, '').trim() || 'arquivo.csv').slice(0, 255);

/**
 * "Importar usuários": a job per uploaded file. The rules live in import-phases.ts (worked by the
 * ImportRunner); this service starts, shows, confirms and drops jobs of one account.
 */
export class ImportService {
  private readonly jobs = new ImportJobRepository();
  private readonly accounts: AccountRepository;

  constructor(private readonly db: Knex, private readonly invitations: Pick<ImportInvitations, 'accessOf'>, readonly folder: string) {
    this.accounts = new AccountRepository(db);
  }

  /**
   * A new job for an uploaded file, previewed in the background. The file's header is read here, so
   * a file that is no CSV of contacts (empty, an image, no known columns, a required one missing) is
   * refused at once, in words, and removed.
   */
  async start(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, file: UploadedFile, options: ImportOptions, locale: Locale): Promise<number> {
    let info: CsvFileInfo;
    try {
      info = await readHeader(file.path);
    } catch (err) {
      await rm(file.path, { force: true });
      throw err;
    }
    return this.jobs.insert(this.db, {
      accountId: caller.accountId, createdByContactId: caller.contactId, createdByName: caller.actor.name,
      fileName: displayName(file.originalName), storedName: path.basename(file.path), fileBytes: file.size,
      encoding: info.encoding + (info.bom ? '+bom' : ''), separator: info.separator, unknownColumns: info.unknownColumns,
      ...options, locale,
    });
  }

  async find(accountId: number, id: number): Promise<ImportJob> {
    const job = await this.jobs.find(this.db, accountId, id);
    if (!job) throw new NotFound();
    return job;
  }

  recent(accountId: number): Promise<ImportJob[]> {
    return this.jobs.recent(this.db, accountId, 10);
  }

  /** The first issues in line order (errors and warnings), for the preview and result pages. */
  issues(job: ImportJob): Promise<ImportIssue[]> {
    return this.jobs.issues(this.db, job.id, { limit: ISSUES_SHOWN });
  }

  /** The seats the account has free now (the preview's gauge). */
  async seats(accountId: number): Promise<{ used: number; limit: number; free: number }> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new NotFound();
    const used = account.active_count + account.pending_count;
    return { used, limit: account.seat_limit, free: Math.max(0, account.seat_limit - used) };
  }

  /** Profiles of the file that this person may not hand on (nobody grants what they lack). */
  ungrantableProfiles(job: ImportJob, flags: ReadonlySet<string>): string[] {
    return job.profiles.filter((profile) => {
      try {
        this.invitations.accessOf(flags, profile, []);
        return false;
      } catch (err) {
        if (isDomainError(err)) return true;
        throw err;
      }
    });
  }

  /**
   * "Confirmar importação" (behind step-up): the previewed job starts writing. Refused, with nothing
   * written, when the preview found errors and "tudo ou nada" is on, when the seats no longer
   * suffice, or when the file asks for a profile this person may not grant.
   */
  async confirm(caller: Acting, id: number): Promise<void> {
    const job = await this.find(caller.accountId, id);
    if (job.state !== 'previewed') throw new Conflict('importJobs.errors.notPreviewed');
    if (this.ungrantableProfiles(job, caller.flags).length) throw new Forbidden('permissions.errors.cannotGrant');
    if (job.toInvite + job.toUpdate === 0) throw new Conflict('importJobs.preview.nothingToDo');
    if (job.allOrNothing && job.errorRows > 0) throw new Conflict('importJobs.errors.allOrNothingHasErrors', { count: job.errorRows });
    const { free } = await this.seats(caller.accountId);
    if (job.toInvite > free) throw new Conflict('importJobs.errors.seats', { needed: job.toInvite, free });
    const moved = await this.jobs.setState(this.db, caller.accountId, id, ['previewed'], 'importing', {
      confirmed_by: JSON.stringify(caller.actor), confirmed_at: new Date(), progress_rows: 0, claim_token: null, claimed_until: null,
    });
    // Two confirmations at once (a double click, two tabs): only one starts the import.
    if (!moved) throw new Conflict('importJobs.errors.notPreviewed');
  }

  /** "Descartar": a preview (or a refused file) is dropped with its file. */
  async cancel(caller: Pick<Acting, 'accountId'>, id: number): Promise<void> {
    const job = await this.find(caller.accountId, id);
    if (!(await this.jobs.setState(this.db, caller.accountId, id, ['previewed', 'refused'], 'cancelled'))) throw new Conflict('importJobs.errors.notPreviewed');
    await rm(path.join(this.folder, job.storedName), { force: true });
    await this.jobs.markFileRemoved(this.db, id);
  }

  /**
   * The rows of the file that were not imported (or would not be), each with its messages, read
   * again from the kept file in file order.
   */
  async *rejectedRows(job: ImportJob): AsyncGenerator<{ line: number; cells: Partial<Record<ImportColumn, string>>; issues: ImportIssue[] }> {
    if (job.fileRemoved) throw new Conflict('importJobs.errors.fileGone');
    const byLine = await this.jobs.errorLines(this.db, job.id);
    if (!byLine.size) return;
    const { records } = await openContactsCsv(path.join(this.folder, job.storedName));
    for await (const record of records) {
      const issues = byLine.get(record.line);
      if (issues) yield { line: record.line, cells: record.cells, issues };
    }
  }

  get columns(): readonly ImportColumn[] {
    return TEMPLATE_COLUMNS;
  }
}

/** Reads the file's header (and so its encoding and separator), then lets the file go. */
async function readHeader(filePath: string): Promise<CsvFileInfo> {
  const { info, records } = await openContactsCsv(filePath);
  const iterator = records[Symbol.asyncIterator]();
  // One record: a file with a header and no rows is refused here, not after a wait.
  await iterator.next();
  await iterator.return?.();
  return info;
}
