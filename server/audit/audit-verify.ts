import type { Knex } from 'knex';
import { AuditRepository } from './audit.repository';
import { eventHash, FORMAT, personalIntact, type EventRow } from './event-format';

export type ChainProblemKind = 'content-changed' | 'personal-changed' | 'unknown-format' | 'previous-missing' | 'order-swapped' | 'order-changed' | 'seq-changed' | 'head-mismatch';

/** The first thing wrong in one chain: which chain (0: the events of no account), which event, what. */
export interface ChainProblem {
  chainId: number;
  eventId: number | null;
  kind: ChainProblemKind;
  message: string;
}

export interface VerifyReport {
  chains: number;
  events: number;
  problems: ChainProblem[];
}

const BATCH = 5000;
type Row = EventRow & { id: number | string; seq: number | string; hash: string };

/**
 * Walks each chain in its order (`seq`, the place record() handed out under the head lock; never
 * the id, which is not in order on a Galera cluster), in batches (a million events never sit in memory at once), and
 * recomputes every hash from the row and its predecessor's. The first problem of each chain is
 * reported; later ones are often its consequence.
 */
export async function verifyChains(db: Knex, options: { chainId?: number; batch?: number } = {}): Promise<VerifyReport> {
  const repo = new AuditRepository();
  const chainIds = options.chainId === undefined ? await repo.chainIds(db) : [options.chainId];
  const report: VerifyReport = { chains: chainIds.length, events: 0, problems: [] };
  for (const chainId of chainIds) {
    // Events archived away (npm run audit:archive) left the hash of the last one: the chain goes on
    // from it (rows up to it that an interrupted archive did not delete yet are no longer the chain's).
    const anchor = await repo.anchorOf(db, chainId);
    const start = { hash: anchor?.last_hash ?? null, afterSeq: Number(anchor?.last_seq ?? 0) };
    const { events, problem } = await verifyChain(db, repo, chainId, start, options.batch ?? BATCH);
    report.events += events;
    if (problem) report.problems.push(problem);
  }
  return report;
}

/** The chain's rows in chain order; the next batch is already being read while one is checked. */
async function* rowsOf(db: Knex, repo: AuditRepository, chainId: number, afterSeq: number, batch: number): AsyncGenerator<Row> {
  // Promise.resolve runs the query now (a knex builder runs only once awaited).
  const read = (after: number) => Promise.resolve(repo.chainBatch(db, chainId, after, batch) as unknown as Promise<Row[]>);
  let pending: Promise<Row[]> | null = read(afterSeq);
  try {
    while (pending) {
      const rows: Row[] = await pending;
      const last = rows[rows.length - 1];
      pending = rows.length === batch && last ? read(Number(last.seq)) : null;
      yield* rows;
    }
  } finally {
    // Stopped at a problem: the read ahead is let finish before the caller closes the pool.
    await pending?.catch(() => undefined);
  }
}

async function verifyChain(db: Knex, repo: AuditRepository, chainId: number, start: { hash: string | null; afterSeq: number }, batch: number) {
  let expectedPrev = start.hash;
  let expectedSeq = start.afterSeq + 1;
  let previousId: number | null = null;
  let events = 0;
  let current: Row | undefined;
  const problem = (eventId: number | null, kind: ChainProblemKind, message: string) => ({ events, problem: { chainId, eventId, kind, message } });
  const check = async (row: Row, next: Row | undefined): Promise<ChainProblem | null> => {
    const id = Number(row.id);
    const at = (kind: ChainProblemKind, message: string) => ({ chainId, eventId: id, kind, message });
    if (Number(row.format) !== FORMAT) return at('unknown-format', `event ${id}: format ${String(row.format)} is not ${FORMAT}`);
    if (eventHash(row) !== row.hash) return at('content-changed', `event ${id}: content changed (its hash does not match its fields)`);
    if (!personalIntact(row)) return at('personal-changed', `event ${id}: personal values changed (they no longer match their digest)`);
    if (row.prev_hash !== expectedPrev) {
      // Two neighbours exchanged: it names the next one, and the next one names what this place should.
      if (next && next.hash === row.prev_hash && next.prev_hash === expectedPrev) return at('order-swapped', `event ${id}: order swapped with event ${Number(next.id)} (it names event ${Number(next.id)} as its predecessor)`);
      // The predecessor it names may still be in the chain, at another place: moved, not missing.
      const named = row.prev_hash === null ? undefined : await repo.findByHash(db, chainId, row.prev_hash);
      if (named) return at('order-changed', `event ${id}: out of order (at place ${Number(row.seq)}, it names event ${Number(named.id)} as its predecessor, which is at place ${Number(named.seq)})`);
      const where = previousId === null ? 'before it (the first one left in the chain)' : `between events ${previousId} and ${id}`;
      return at('previous-missing', `event ${id}: the previous event is missing (${where})`);
    }
    // The links hold, so the order is right; a place that is not the next one was written apart from the chain.
    if (Number(row.seq) !== expectedSeq) return at('seq-changed', `event ${id}: its place in the chain is ${Number(row.seq)}, not ${expectedSeq} (the sequence was changed)`);
    return null;
  };
  const accept = (row: Row) => {
    expectedPrev = row.hash;
    expectedSeq = Number(row.seq) + 1;
    previousId = Number(row.id);
  };
  for await (const next of rowsOf(db, repo, chainId, start.afterSeq, batch)) {
    if (current) {
      const found = await check(current, next);
      if (found) return { events, problem: found };
      accept(current);
    }
    events++;
    current = next;
  }
  if (current) {
    const found = await check(current, undefined);
    if (found) return { events, problem: found };
    accept(current);
  }
  const head = await repo.headOf(db, chainId);
  if ((head?.last_hash ?? null) !== expectedPrev) {
    const last = previousId === null ? 'the chain has no event left' : `the newest event is ${previousId}`;
    return problem(previousId, 'head-mismatch', `chain head mismatch: the head names another event than the newest (${last}; events after it are missing, or were added without the head)`);
  }
  if (Number(head?.last_seq ?? 0) !== expectedSeq - 1) {
    return problem(previousId, 'head-mismatch', `chain head mismatch: the head's place ${Number(head?.last_seq ?? 0)} is not the newest event's, ${expectedSeq - 1}`);
  }
  return { events, problem: null };
}
