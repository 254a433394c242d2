import type { Knex } from 'knex';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import type { Translate } from '../i18n';
import { CONTACT_CSV_HEADER, contactCsvRow } from './contact-csv';
import { ContactRepository } from './contacts.repository';
import { listFilterOf, type ListParams } from './contacts.service';
import { parseSearch } from './search-text';
import { inTransaction } from '../db/transaction';

/** What "Exportar" hands the route: the filter it applied, the CSV header and the rows, read as they are pulled. */
export interface ContactExport {
  filter: ReturnType<typeof listFilterOf>;
  header: readonly string[];
  rows: AsyncIterable<string[]>;
}

/** "Exportar": the contacts list as it is filtered (tab, search, order), every row of it, as CSV rows. */
export class ContactExportService {
  private readonly contacts = new ContactRepository();

  constructor(private readonly db: Knex, private readonly audit: AuditService) {}

  /** Nothing is read until `rows` is iterated; labels (profile, sim/não) in the language of `t`. */
  export(caller: Pick<Acting, 'accountId' | 'actor'>, params: ListParams, t: Translate): ContactExport {
    const filter = listFilterOf(params);
    return { filter, header: CONTACT_CSV_HEADER, rows: this.rows(caller, filter, t) };
  }

  /**
   * The audit event (`contacts.exported`: who, the filter, the row count) is written after the last
   * row, in its own short transaction. The count is only known then, and an export changes nothing,
   * so there is no write the event must share a transaction with; one transaction around the whole
   * download would instead hold the account's audit chain (locked by every audited change) for as
   * long as the client takes to download. The CSV ends only after this generator returns, so a
   * download that completes has its event, and a failed audit write fails the download. A download
   * abandoned halfway is recorded too, with the rows handed out so far: those did leave the portal.
   */
  private async *rows(caller: Pick<Acting, 'accountId' | 'actor'>, filter: ContactExport['filter'], t: Translate): AsyncGenerator<string[]> {
    let count = 0;
    let complete = false;
    try {
      const query = { accountId: caller.accountId, status: filter.status, words: parseSearch(filter.q), sort: filter.sort };
      for await (const contact of this.contacts.everyInListOrder(this.db, query)) {
        count++;
        yield contactCsvRow(contact, t);
      }
      complete = true;
    } finally {
      const details = { filter, rows: count, ...(complete ? {} : { complete: false }) };
      await inTransaction(this.db, (trx) => this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contacts.exported', details }));
    }
  }
}
