import { mkdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { jsonEvent } from './audit-export.service';
import type { TrailRow } from './audit-trail.repository';
import { AuditRepository, eventsOfChain } from './audit.repository';
import type { Actor, AuditService } from './audit.service';
import { eventHash, isoMs } from './event-format';

const BATCH = 1000;

export interface ArchivedChain {
  chainId: number;
  count: number;
  firstId: number;
  lastId: number;
  lastHash: string;
  file: string;
}

/** A chain whose events to archive do not verify: nothing of it is archived, the operator runs audit:verify. */
export class ArchiveRefused extends Error {}

export interface ArchiveReport {
  archived: ArchivedChain[];
  /** One line per chain left alone because its old events do not verify. */
  refused: string[];
}

/** `months` calendar months before `now`. */
export function cutoffOf(months: number, now = new Date()): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  return cutoff;
}

/**
 * Retention: each chain's events older than `cutoff` move to a JSON lines file under `dir` (the
 * export's format, so docs/audit.md's script verifies it), then leave the table. The chain goes on
 * from an anchor, the hash of the last archived event, which audit:verify and the export start
 * from. Order of work, so that a crash loses nothing: the file is written and synced; the anchor and
 * an `audit.archived` event commit together; only then are the rows deleted, in batches (rows up to
 * the anchor are no longer part of the chain, and the next run deletes any an interruption left).
 * Only a chain's oldest run of events is archived: it stops at the first event not older than the
 * cutoff, so what stays is one unbroken chain.
 */
export async function archiveChains(db: Knex, audit: AuditService, actor: Actor, options: { cutoff: Date; dir: string; chainId?: number }): Promise<ArchiveReport> {
  const repo = new AuditRepository();
  const chainIds = options.chainId === undefined ? await repo.chainIds(db) : [options.chainId];
  const report: ArchiveReport = { archived: [], refused: [] };
  for (const chainId of chainIds) {
    try {
      const archived = await archiveChain(db, repo, audit, actor, chainId, options);
      if (archived) report.archived.push(archived);
    } catch (err) {
      // One broken chain keeps its events (they are the evidence); the others are archived.
      if (!(err instanceof ArchiveRefused)) throw err;
      report.refused.push(err.message);
    }
  }
  return report;
}

async function archiveChain(db: Knex, repo: AuditRepository, audit: AuditService, actor: Actor, chainId: number, options: { cutoff: Date; dir: string }): Promise<ArchivedChain | null> {
  const anchor = await repo.anchorOf(db, chainId);
  const afterId = Number(anchor?.last_event_id ?? 0);
  await deleteThrough(db, chainId, afterId);
  const keptFrom: { id: number | string } | undefined = await eventsOfChain(db, chainId).where('id', '>', afterId).where('created_at', '>=', options.cutoff).orderBy('id').first('id');
  const lastQuery = eventsOfChain(db, chainId).where('id', '>', afterId).orderBy('id', 'desc');
  if (keptFrom) lastQuery.where('id', '<', keptFrom.id);
  const last: { id: number | string; hash: string } | undefined = await lastQuery.first('id', 'hash');
  if (!last) return null;

  mkdirSync(options.dir, { recursive: true });
  const first = Number((await eventsOfChain(db, chainId).where('id', '>', afterId).orderBy('id').first('id')).id);
  const file = path.join(options.dir, `chain-${chainId}-events-${first}-${last.id}.jsonl`);
  const header = {
    type: 'header', format: 2, account_id: chainId === 0 ? null : String(chainId), chain_id: String(chainId), filter: {}, filtered: false, personal: 'included',
    anchor: anchor?.last_hash ?? null, head: last.hash, head_event_id: String(last.id), exported_at: new Date().toISOString(), archived_before: options.cutoff.toISOString(),
  };
  const count = await writeArchive(db, chainId, file, header, afterId, Number(last.id)).catch(async (err: unknown) => {
    await rm(file, { force: true });
    throw err;
  });

  await db.transaction(async (trx) => {
    const row = { chain_id: chainId, last_hash: last.hash, last_event_id: Number(last.id), archived_at: new Date(), file: path.basename(file) };
    await trx('audit_chain_anchors').insert(row).onConflict('chain_id').merge();
    await audit.record(trx, actor, {
      accountId: chainId === 0 ? null : chainId, action: 'audit.archived',
      details: { before: isoMs(options.cutoff), events: count, firstId: first, lastId: Number(last.id), lastHash: last.hash, file: path.basename(file) },
    });
  });
  await deleteThrough(db, chainId, Number(last.id));
  return { chainId, count, firstId: first, lastId: Number(last.id), lastHash: last.hash, file };
}

/** Writes the header and the events (afterId, lastId], checking each hash and link as it goes. */
async function writeArchive(db: Knex, chainId: number, file: string, header: Record<string, unknown>, afterId: number, lastId: number): Promise<number> {
  const out = await open(file, 'w');
  let count = 0;
  try {
    await out.write(JSON.stringify(header) + '\n');
    let prev = header.anchor as string | null;
    let after = afterId;
    for (;;) {
      const rows: TrailRow[] = await eventsOfChain(db, chainId).where('id', '>', after).where('id', '<=', lastId).orderBy('id').limit(BATCH).select('*');
      if (!rows.length) break;
      for (const row of rows) {
        if (eventHash(row as never) !== row.hash || row.prev_hash !== prev) throw new ArchiveRefused(`chain ${chainId}: event ${row.id} does not verify; nothing archived (run npm run audit:verify)`);
        prev = row.hash;
      }
      await out.write(rows.map((r) => JSON.stringify(jsonEvent(r)) + '\n').join(''));
      count += rows.length;
      after = Number(rows[rows.length - 1]!.id);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return count;
}

/** Deletes a chain's rows up to `lastId`, a batch per statement (no long lock on the table). */
async function deleteThrough(db: Knex, chainId: number, lastId: number): Promise<void> {
  if (!lastId) return;
  for (;;) {
    const ids = await eventsOfChain(db, chainId).where('id', '<=', lastId).orderBy('id').limit(BATCH).pluck('id');
    if (!ids.length) return;
    await db('audit_events').whereIn('id', ids).delete();
  }
}
