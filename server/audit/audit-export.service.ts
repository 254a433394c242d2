import { inTransaction } from '../db/transaction';
import type { Knex } from 'knex';
import type { Translate } from '../i18n';
import type { Acting } from './actor';
import { auditFilterQuery, isFiltered, type AuditFilter } from './audit-filter';
import { AuditTrailRepository, type TrailRow } from './audit-trail.repository';
import { AuditRepository } from './audit.repository';
import type { AuditService } from './audit.service';
import { hashedFields, readableActorName, readableDetails } from './event-format';

export type AuditExportFormat = 'csv' | 'jsonl';

export interface AuditExportOptions {
  /** Leave the personal values out (names, e-mails, masked CPFs): the digests still prove the rest. */
  omitPersonal?: boolean;
}

/** What a download streams: CSV rows (with their header) or JSON lines, read only as they are pulled. */
export interface AuditExport {
  filter: AuditFilter;
  header: readonly string[];
  rows: AsyncIterable<string[]>;
  lines: AsyncIterable<string>;
}

const CSV_COLUMNS = ['id', 'createdAt', 'actor', 'actorContactId', 'action', 'target', 'details', 'ip', 'userAgent', 'requestId', 'hash', 'prevHash', 'seq'] as const;

/**
 * The audit trail of one account as filtered, oldest first (chain order), up to the newest event at
 * the start. JSON lines carry every hashed field, so docs/audit.md's script re-checks each hash
 * offline; the first line (the header) names the filter, the chain head the export ends on and the
 * anchor it starts from. Personal values are included (a holder of audit.view reads them on the
 * pages too) with their salt, so the digests can be checked as well, unless `omitPersonal`.
 */
export class AuditExportService {
  private readonly trail = new AuditTrailRepository();
  private readonly chains = new AuditRepository();

  constructor(private readonly db: Knex, private readonly audit: AuditService) {}

  export(caller: Pick<Acting, 'accountId' | 'actor'>, filter: AuditFilter, format: AuditExportFormat, t: Translate, options: AuditExportOptions = {}): AuditExport {
    const header = CSV_COLUMNS.map((c) => t(`audit.export.columns.${c}`));
    const events = () => this.events(caller, filter, format, options);
    return {
      filter,
      header,
      rows: map(events, (e) => (e.kind === 'event' ? [csvRow(e.row, t, options)] : [])),
      lines: map(events, (e) => [`${JSON.stringify(e.kind === 'header' ? e.header : jsonEvent(e.row, options))}\n`]),
    };
  }

  /**
   * The export's own event (`audit.exported`: format, filter, count) is written after the last row
   * in its own short transaction, as the contacts export does and for the same reasons: no
   * transaction or chain lock is held while the client downloads; a failed audit write fails the
   * download; an abandoned download is recorded with the rows that did leave.
   */
  private async *events(caller: Pick<Acting, 'accountId' | 'actor'>, filter: AuditFilter, format: AuditExportFormat, options: AuditExportOptions): AsyncGenerator<ExportItem> {
    let count = 0;
    let complete = false;
    try {
      const newest = await this.trail.newest(this.db, caller.accountId);
      const anchor = await this.chains.anchorOf(this.db, caller.accountId);
      yield {
        kind: 'header',
        header: {
          type: 'header', format: 2, account_id: String(caller.accountId), filter: auditFilterQuery(filter), filtered: isFiltered(filter),
          personal: options.omitPersonal ? 'omitted' : 'included', anchor: anchor?.last_hash ?? null, anchor_seq: String(anchor?.last_seq ?? 0),
          head: newest?.hash ?? null, head_event_id: newest ? String(newest.id) : null, head_seq: newest ? String(newest.seq) : null, exported_at: new Date().toISOString(),
        },
      };
      if (newest) {
        for await (const row of this.trail.everyInChainOrder(this.db, caller.accountId, filter, { after: Number(anchor?.last_seq ?? 0), upTo: Number(newest.seq) })) {
          count++;
          yield { kind: 'event', row };
        }
      }
      complete = true;
    } finally {
      const details = { format, filter: auditFilterQuery(filter), rows: count, personal: options.omitPersonal ? 'omitted' : 'included', ...(complete ? {} : { complete: false }) };
      await inTransaction(this.db, (trx) => this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'audit.exported', details }));
    }
  }
}

type ExportItem = { kind: 'header'; header: Record<string, unknown> } | { kind: 'event'; row: TrailRow };

async function* map<T>(source: () => AsyncGenerator<ExportItem>, f: (item: ExportItem) => T[]): AsyncGenerator<T> {
  for await (const item of source()) yield* f(item);
}

const withoutPersonal = (row: TrailRow) => ({ ...row, personal: null });

/** One JSON line: the event's place in the chain, the hashed fields as the hash saw them, the hash, and the personal values when included. */
export function jsonEvent(row: TrailRow, options: AuditExportOptions = {}): Record<string, unknown> {
  const line: Record<string, unknown> = { type: 'event', id: String(row.id), seq: String(row.seq), ...hashedFields(row as never), hash: row.hash };
  if (options.omitPersonal) return line;
  return {
    ...line,
    personal: row.personal ? JSON.parse(String(row.personal)) : null,
    personal_salt: row.personal_salt ?? null,
    personal_erased: Boolean(row.personal_erased_at),
  };
}

function csvRow(row: TrailRow, t: Translate, options: AuditExportOptions): string[] {
  const readable = options.omitPersonal ? withoutPersonal(row) : row;
  const fields = hashedFields(row as never);
  return [
    String(row.id),
    String(fields.created_at),
    readableActorName(readable as never) ?? '',
    fields.actor_contact_id ?? '',
    t(`audit.actions.${String(row.action)}`, { defaultValue: String(row.action) }),
    fields.target_type ? `${fields.target_type}:${fields.target_id ?? ''}` : '',
    row.details ? JSON.stringify(readableDetails(readable as never)) : '',
    fields.ip ?? '',
    fields.user_agent ?? '',
    fields.request_id ?? '',
    row.hash,
    fields.prev_hash ?? '',
    String(row.seq),
  ].map(String);
}
