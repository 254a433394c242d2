import { inTransaction } from '../db/transaction';
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
  /** The places in the chain of the first and the last archived event. */
  firstSeq: number;
  lastSeq: number;
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
  const afterSeq = Number(anchor?.last_seq ?? 0);
  await deleteThrough(db, chainId, afterSeq);
  const keptFrom: { seq: number | string } | undefined = await eventsOfChain(db, chainId).where('seq', '>', afterSeq).where('created_at', '>=', options.cutoff).orderBy('seq').first('seq');
  const lastQuery = eventsOfChain(db, chainId).where('seq', '>', afterSeq).orderBy('seq', 'desc');
  if (keptFrom) lastQuery.where('seq', '<', keptFrom.seq);
  const last: { id: number | string; seq: number | string; hash: string } | undefined = await lastQuery.first('id', 'seq', 'hash');
  if (!last) return null;

  mkdirSync(options.dir, { recursive: true });
  const lastSeq = Number(last.seq);
  const firstSeq = afterSeq + 1;
  const file = path.join(options.dir, `chain-${chainId}-seq-${firstSeq}-${lastSeq}.jsonl`);
  const header = {
    type: 'header', format: 2, account_id: chainId === 0 ? null : String(chainId), chain_id: String(chainId), filter: {}, filtered: false, personal: 'included',
    anchor: anchor?.last_hash ?? null, anchor_seq: String(afterSeq), head: last.hash, head_event_id: String(last.id), head_seq: String(lastSeq),
    exported_at: new Date().toISOString(), archived_before: options.cutoff.toISOString(),
  };
  const count = await writeArchive(db, chainId, file, header, afterSeq, lastSeq).catch(async (err: unknown) => {
    await rm(file, { force: true });
    throw err;
  });

  await inTransaction(db, async (trx) => {
    const row = { chain_id: chainId, last_hash: last.hash, last_event_id: Number(last.id), last_seq: lastSeq, archived_at: new Date(), file: path.basename(file) };
    await trx('audit_chain_anchors').insert(row).onConflict('chain_id').merge();
    await audit.record(trx, actor, {
      accountId: chainId === 0 ? null : chainId, action: 'audit.archived',
      details: { before: isoMs(options.cutoff), events: count, firstSeq, lastSeq, lastId: Number(last.id), lastHash: last.hash, file: path.basename(file) },
    });
  });
  await deleteThrough(db, chainId, lastSeq);
  return { chainId, count, firstSeq, lastSeq, lastId: Number(last.id), lastHash: last.hash, file };
}

/** Writes the header and the events at places (afterSeq, lastSeq], checking each hash, link and place as it goes. */
async function writeArchive(db: Knex, chainId: number, file: string, header: Record<string, unknown>, afterSeq: number, lastSeq: number): Promise<number> {
  const out = await open(file, 'w');
  let count = 0;
  try {
    await out.write(JSON.stringify(header) + '\n');
    let prev = header.anchor as string | null;
    let after = afterSeq;
    for (;;) {
      const rows: TrailRow[] = await eventsOfChain(db, chainId).where('seq', '>', after).where('seq', '<=', lastSeq).orderBy('seq').limit(BATCH).select('*');
      if (!rows.length) break;
      for (const row of rows) {
        if (eventHash(row as never) !== row.hash || row.prev_hash !== prev || Number(row.seq) !== after + 1) {
          throw new ArchiveRefused(`chain ${chainId}: event ${row.id} does not verify; nothing archived (run npm run audit:verify)`);
        }
        prev = row.hash;
        after = Number(row.seq);
      }
      await out.write(rows.map((r) => JSON.stringify(jsonEvent(r)) + '\n').join(''));
      count += rows.length;
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return count;
}

/** Deletes a chain's rows up to place `lastSeq`, a batch per statement (no long lock on the table). */
async function deleteThrough(db: Knex, chainId: number, lastSeq: number): Promise<void> {
  if (!lastSeq) return;
  for (;;) {
    const ids = await eventsOfChain(db, chainId).where('seq', '<=', lastSeq).orderBy('seq').limit(BATCH).pluck('id');
    if (!ids.length) return;
    await db('audit_events').whereIn('id', ids).delete();
  }
}
