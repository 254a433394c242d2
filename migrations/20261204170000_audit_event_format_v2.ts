import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Audit events, format 2 (server/audit/event-format.ts): personal values move out of `details` and
 * `actor_name` into `personal`, under a salted digest the hash covers, and CPFs are masked. Every
 * existing event is rewritten and every chain re-hashed in id order, heads included. The rules are
 * a frozen copy of that module's at this date (a migration never imports server/ code).
 */
const BATCH = 1000;
const PERSONAL_KEYS = new Set(['name', 'email', 'document_number', 'cpf', 'phone', 'area_code', 'to', 'owner', 'q']);
const CPF_KEYS = new Set(['document_number', 'cpf', 'document', 'q']);
// The contact's derived search columns, once copied whole into `contact.deleted`: dropped.
const DROPPED_KEYS = new Set(['search', 'sort_name']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FORMATTED_CPF = /(?<!\d)\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)/g;
const BARE_CPF = /(?<!\d)\d{11}(?!\d)/g;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const maskCpf = (cpf: string) => {
  const d = cpf.replace(/\D/g, '');
  return d.length === 11 ? `***.${d.slice(3, 6)}.${d.slice(6, 9)}-**` : cpf;
};
const pointer = (path: string[]) => path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');

function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isoMs(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value)).toISOString();
  const s = String(value);
  return new Date(s.includes('T') || s.endsWith('Z') ? s : `${s.replace(' ', 'T')}Z`).toISOString();
}

function split(details: unknown, actorName: string | null) {
  const personal: Record<string, unknown> = {};
  const walk = (value: unknown, path: string[], key: string | null): unknown => {
    if (value === null || value === undefined) return value;
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)], key));
    if (typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as object).filter(([k]) => !DROPPED_KEYS.has(k)).map(([k, v]) => [k, walk(v, [...path, k], k)]));
    }
    if (typeof value !== 'string' || value === '') return value;
    let masked = value.replace(FORMATTED_CPF, maskCpf);
    if (key !== null && CPF_KEYS.has(key)) masked = masked.replace(BARE_CPF, maskCpf);
    if (!(key !== null && PERSONAL_KEYS.has(key)) && masked === value && !EMAIL.test(value)) return value;
    const ptr = pointer(path);
    personal[ptr] = masked;
    return { $p: ptr };
  };
  const kept = details ? walk(details, [], null) : null;
  if (actorName) personal.actor_name = actorName;
  const personalText = Object.keys(personal).length ? canonicalJson(personal) : null;
  const salt = personalText ? randomBytes(16).toString('hex') : null;
  return {
    details: kept ? canonicalJson(kept) : null,
    personal: personalText,
    personal_salt: salt,
    personal_digest: personalText ? sha256(salt + personalText) : null,
  };
}

function hashV2(row: Record<string, unknown>): string {
  return sha256(canonicalJson({
    format: 2,
    account_id: str(row.account_id), actor_user_id: str(row.actor_user_id), actor_contact_id: str(row.actor_contact_id), actor_name: str(row.actor_name),
    action: row.action, target_type: str(row.target_type), target_id: str(row.target_id), details: str(row.details), personal_digest: str(row.personal_digest),
    ip: str(row.ip), user_agent: str(row.user_agent), request_id: str(row.request_id), created_at: isoMs(row.created_at), prev_hash: str(row.prev_hash),
  }));
}

/** Format 1's hash (JSON.stringify of the row as inserted), for the way down. */
function hashV1(row: Record<string, unknown>): string {
  const { account_id, actor_user_id, actor_contact_id, actor_name, action, target_type, target_id, details, ip, user_agent, request_id, created_at, prev_hash } = row;
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return sha256(JSON.stringify({
    account_id: n(account_id), actor_user_id: n(actor_user_id), actor_contact_id: n(actor_contact_id), actor_name, action, target_type, target_id,
    details, ip, user_agent, request_id, created_at: isoMs(created_at), prev_hash,
  }));
}

/** Rewrites every chain in id order with `rewrite(row, prevHash)` → the new columns (hash included). */
async function rechain(knex: Knex, rewrite: (row: Record<string, unknown>, prev: string | null) => Record<string, unknown> & { hash: string }) {
  const chains: { account_id: number | null }[] = await knex('audit_events').distinct('account_id');
  for (const { account_id: accountId } of chains) {
    let prev: string | null = null;
    let after = 0;
    for (;;) {
      const q = knex('audit_events').where('id', '>', after).orderBy('id').limit(BATCH).select('*');
      if (accountId === null) q.whereNull('account_id');
      else q.where({ account_id: accountId });
      const rows: Record<string, unknown>[] = await q;
      if (!rows.length) break;
      await knex.transaction(async (trx) => {
        for (const row of rows) {
          const next = rewrite(row, prev);
          await trx('audit_events').where({ id: row.id }).update(next);
          prev = next.hash;
        }
      });
      after = Number(rows[rows.length - 1]!.id);
    }
    await knex('audit_chain_heads').where({ chain_id: accountId ?? 0 }).update({ last_hash: prev, updated_at: new Date() });
  }
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.tinyint('format').unsigned().notNullable().defaultTo(1);
    t.text('personal').nullable(); // JSON: the event's personal values; erasure replaces them
    t.string('personal_salt', 32).nullable(); // dropped by erasure
    t.string('personal_digest', 64).nullable(); // covered by the hash
    t.datetime('personal_erased_at', { precision: 3 }).nullable();
  });
  await rechain(knex, (row, prev) => {
    const details = row.details ? JSON.parse(String(row.details)) : null;
    const next = { format: 2, ...split(details, str(row.actor_name)), actor_name: null, prev_hash: prev };
    return { ...next, hash: hashV2({ ...row, ...next }) };
  });
}

export async function down(knex: Knex): Promise<void> {
  await rechain(knex, (row, prev) => {
    const personal = row.personal ? (JSON.parse(String(row.personal)) as Record<string, unknown>) : {};
    const put = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(put);
      if (v && typeof v === 'object') {
        const ref = (v as { $p?: unknown }).$p;
        if (typeof ref === 'string' && Object.keys(v).length === 1) return personal[ref] ?? null;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, put(x)]));
      }
      return v;
    };
    const next = {
      details: row.details ? JSON.stringify(put(JSON.parse(String(row.details)))) : null,
      actor_name: (personal.actor_name as string | undefined) ?? null,
      prev_hash: prev,
    };
    return { ...next, hash: hashV1({ ...row, ...next }) };
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropColumn('format');
    t.dropColumn('personal');
    t.dropColumn('personal_salt');
    t.dropColumn('personal_digest');
    t.dropColumn('personal_erased_at');
  });
}
