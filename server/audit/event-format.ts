/**
 * The audit event format, version 2: what a row holds, what its hash covers, and how its personal
 * values are kept apart from the hash so that an LGPD erasure can remove them without breaking the
 * chain. Pure functions only: record(), `npm run audit:verify`, the export and the tests all hash
 * with `eventHash`, and docs/audit.md's offline script is a copy of it.
 *
 * - `details`: canonical JSON where every personal value is replaced by a reference `{"$p": ptr}`
 *   (`ptr` is the value's JSON pointer in the details, e.g. "/after/email").
 * - `personal`: canonical JSON `{ptr: value, "actor_name": name}`: the values themselves.
 * - `personal_digest`: SHA-256 of `personal_salt` + the canonical `personal`. The hash covers the
 *   digest, never the values. An erasure replaces the values (a pseudonym), drops the salt (so the
 *   digest can no longer confirm a guessed CPF or e-mail) and sets `personal_erased_at`; from then
 *   on the digest is not compared, and the chain still verifies.
 */
import { createHash, randomBytes } from 'node:crypto';

export const FORMAT = 2;

/**
 * Keys whose values are personal wherever they appear in details (the one list: record(), the
 * migration's frozen copy mirrors it). `q` is free text typed to find someone. Values that look like
 * an e-mail address or a formatted CPF are personal under any key.
 */
export const PERSONAL_KEYS: ReadonlySet<string> = new Set(['name', 'email', 'document_number', 'cpf', 'phone', 'area_code', 'to', 'owner', 'q']);
/** Keys whose bare 11-digit values are taken for a CPF and masked. */
const CPF_KEYS: ReadonlySet<string> = new Set(['document_number', 'cpf', 'document', 'q']);
/** The contact's derived search columns (name, e-mail and CPF digits again): never kept. */
const DROPPED_KEYS: ReadonlySet<string> = new Set(['search', 'sort_name']);
export const ACTOR_NAME = 'actor_name';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FORMATTED_CPF = /(?<!\d)\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)/g;
const BARE_CPF = /(?<!\d)\d{11}(?!\d)/g;

/** `***.982.247-**`: enough to tell two people apart on the trail, not enough to be their CPF. */
export function maskCpf(cpf: string): string {
  const d = cpf.replace(/\D/g, '');
  if (d.length !== 11) return cpf;
  return `***.${d.slice(3, 6)}.${d.slice(6, 9)}-**`;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const pointer = (path: string[]) => path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');

export interface SplitEvent {
  details: string | null;
  personal: string | null;
  personal_salt: string | null;
  personal_digest: string | null;
}

/**
 * Separates an event's personal values (and the actor's name at the time) from its details. CPFs
 * are masked before they are kept anywhere. `salt` is for tests; record() draws a fresh one.
 */
export function splitPersonal(details: Record<string, unknown> | null | undefined, actorName: string | null | undefined, salt = randomBytes(16).toString('hex')): SplitEvent {
  const personal: Record<string, unknown> = {};
  const walk = (value: unknown, path: string[], key: string | null): unknown => {
    if (value === null || value === undefined) return value;
    if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return walk((value as { toJSON(): unknown }).toJSON(), path, key);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)], key));
    if (typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as object).filter(([k, v]) => v !== undefined && !DROPPED_KEYS.has(k)).map(([k, v]) => [k, walk(v, [...path, k], k)]));
    }
    // Numbers (ids, counts) and booleans are never personal, whatever their key (`to: 12`, a contact id).
    if (typeof value !== 'string' || value === '') return value;
    const masked = maskCpfsIn(value, key !== null && CPF_KEYS.has(key));
    if (!(key !== null && PERSONAL_KEYS.has(key)) && masked === value && !EMAIL.test(value)) return value;
    const ptr = pointer(path);
    personal[ptr] = masked;
    return { $p: ptr };
  };
  const kept = details ? walk(details, [], null) : null;
  if (actorName) personal[ACTOR_NAME] = actorName;
  const hasPersonal = Object.keys(personal).length > 0;
  const personalText = hasPersonal ? canonicalJson(personal) : null;
  return {
    details: kept ? canonicalJson(kept) : null,
    personal: personalText,
    personal_salt: hasPersonal ? salt : null,
    personal_digest: personalText !== null ? personalDigest(salt, personalText) : null,
  };
}

function maskCpfsIn(text: string, bareToo: boolean): string {
  const out = text.replace(FORMATTED_CPF, maskCpf);
  return bareToo ? out.replace(BARE_CPF, maskCpf) : out;
}

/** SHA-256 of the salt and the canonical personal values (re-encoded: the stored text is not trusted to be canonical). */
export function personalDigest(salt: string, personal: string | Record<string, unknown>): string {
  const canonical = canonicalJson(typeof personal === 'string' ? JSON.parse(personal) : personal);
  return sha256(salt + canonical);
}

/** A row as either database hands it back (ids may be numbers or strings, dates Date, ms or text). */
export interface EventRow {
  id?: number | string;
  format?: number | string | null;
  account_id: number | string | null;
  actor_user_id: number | string | null;
  actor_contact_id: number | string | null;
  actor_name?: string | null;
  action: string;
  target_type: string | null;
  target_id: string | number | null;
  details: string | null;
  personal?: string | null;
  personal_salt?: string | null;
  personal_digest: string | null;
  personal_erased_at?: Date | string | number | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date | string | number;
  prev_hash: string | null;
  hash?: string;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Milliseconds, ISO, UTC: what both databases' datetime(3) give back, whatever the driver's type. */
export function isoMs(value: Date | string | number): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || /^\d+$/.test(value)) return new Date(Number(value)).toISOString();
  return new Date(value.includes('T') || value.endsWith('Z') ? value : `${value.replace(' ', 'T')}Z`).toISOString();
}

/** The fields the hash covers, normalised: ids as text, the time as ms ISO UTC. */
export function hashedFields(row: EventRow): Record<string, string | number | null> {
  return {
    format: FORMAT,
    account_id: str(row.account_id),
    actor_user_id: str(row.actor_user_id),
    actor_contact_id: str(row.actor_contact_id),
    actor_name: str(row.actor_name),
    action: row.action,
    target_type: str(row.target_type),
    target_id: str(row.target_id),
    details: str(row.details),
    personal_digest: str(row.personal_digest),
    ip: str(row.ip),
    user_agent: str(row.user_agent),
    request_id: str(row.request_id),
    created_at: isoMs(row.created_at),
    prev_hash: str(row.prev_hash),
  };
}

const HASHED_KEYS = Object.keys(hashedFields({ action: '', created_at: 0 } as EventRow)).sort();
const KEY_PREFIXES = HASHED_KEYS.map((k, i) => `${i ? ',' : '{'}${JSON.stringify(k)}:`);

/**
 * The event's hash: SHA-256 of the canonical JSON of `hashedFields`. Written out key by key (the
 * fields are flat), which is what `canonicalJson` gives, at a third of its cost: verify hashes a
 * million events.
 */
export function eventHash(row: EventRow): string {
  const fields = hashedFields(row);
  let text = '';
  for (let i = 0; i < HASHED_KEYS.length; i++) text += KEY_PREFIXES[i] + JSON.stringify(fields[HASHED_KEYS[i]!]);
  return sha256(text + '}');
}

/** True when the row's personal values still match the digest its hash covers (or it has none, or they were erased). */
export function personalIntact(row: EventRow): boolean {
  if (row.personal_erased_at) return true;
  if (row.personal === null || row.personal === undefined) return row.personal_digest === null;
  if (!row.personal_salt || !row.personal_digest) return false;
  // record() stores the canonical text: hashing it as stored spares a parse; anything else is re-encoded.
  if (sha256(row.personal_salt + row.personal) === row.personal_digest) return true;
  try {
    return personalDigest(row.personal_salt, row.personal) === row.personal_digest;
  } catch {
    return false;
  }
}

const personalOf = (row: Pick<EventRow, 'personal'>): Record<string, unknown> => {
  try {
    return row.personal ? (JSON.parse(row.personal) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** The details as people read them: each reference replaced by its value (or the pseudonym, once erased). */
export function readableDetails(row: Pick<EventRow, 'details' | 'personal'>): Record<string, unknown> {
  if (!row.details) return {};
  const personal = personalOf(row);
  const put = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(put);
    if (v && typeof v === 'object') {
      const ref = (v as { $p?: unknown }).$p;
      if (typeof ref === 'string' && Object.keys(v).length === 1) return personal[ref] ?? null;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, put(x)]));
    }
    return v;
  };
  return put(JSON.parse(row.details)) as Record<string, unknown>;
}

/** The actor's name at the time (or the pseudonym, once erased). */
export function readableActorName(row: Pick<EventRow, 'personal' | 'actor_name'>): string | null {
  const name = personalOf(row)[ACTOR_NAME];
  return typeof name === 'string' ? name : (row.actor_name ?? null);
}

/**
 * What an erasure writes for one row: every personal value `isTheirs` picks replaced by
 * `pseudonym`, the salt dropped, the erasure's time. The digest and the hash are left alone.
 */
export function erasedPersonal(row: Pick<EventRow, 'personal'>, isTheirs: (ptr: string, value: unknown) => boolean, pseudonym: string, at = new Date()) {
  const personal = personalOf(row);
  for (const [ptr, value] of Object.entries(personal)) if (isTheirs(ptr, value)) personal[ptr] = pseudonym;
  return { personal: canonicalJson(personal), personal_salt: null, personal_erased_at: at };
}
