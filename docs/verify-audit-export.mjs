// Verifies an audit trail exported as JSON lines (GET /accounts/:a/audit/export.jsonl), offline.
// Usage: node verify-audit-export.mjs trail.jsonl   → exit 0 when it holds, 1 naming the first bad event.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const HASHED = ['format', 'account_id', 'actor_user_id', 'actor_contact_id', 'actor_name', 'action', 'target_type', 'target_id',
  'details', 'personal_digest', 'ip', 'user_agent', 'request_id', 'created_at', 'prev_hash'];
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const canonical = (v) =>
  v === null || typeof v !== 'object' ? JSON.stringify(v)
    : Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
      : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
const fail = (message) => { console.error(`BROKEN ${message}`); process.exit(1); };

let header;
let previous;
let count = 0;
let gaps = 0;
for await (const line of createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  if (!header) { if (e.type !== 'header' || e.format !== 2) fail('not an audit export (format 2)'); header = e; continue; }
  const fields = Object.fromEntries(HASHED.map((k) => [k, e[k] ?? null]));
  if (sha256(canonical(fields)) !== e.hash) fail(`event ${e.id}: content changed (its hash does not match its fields)`);
  if (e.personal && !e.personal_erased && e.personal_salt && sha256(e.personal_salt + canonical(e.personal)) !== e.personal_digest) {
    fail(`event ${e.id}: personal values changed (they do not match their digest)`);
  }
  const expected = previous ? previous.hash : header.anchor;
  // `seq`, the event's place in its chain, is not hashed (the links fix the order); it says where a gap is.
  const place = previous ? Number(previous.seq) + 1 : Number(header.anchor_seq ?? 0) + 1;
  const next = e.seq === undefined || Number(e.seq) === place;
  if (e.seq !== undefined && Number(e.seq) < place) fail(`event ${e.id}: out of order (at place ${e.seq} of the chain, after place ${place - 1})`);
  if (e.prev_hash !== expected) {
    if (!header.filtered || next) fail(`event ${e.id}: the previous event is missing or out of order${next ? '' : ` (place ${place} is not in the file)`}`);
    gaps++; // a filtered export leaves out the events between: their absence cannot be checked here
  } else if (!next) fail(`event ${e.id}: at place ${e.seq} of the chain, where ${place} was expected`);
  previous = e;
  count++;
}
if (!header) fail('empty file');
if ((!header.filtered || previous?.id === header.head_event_id) && (previous?.hash ?? header.anchor) !== header.head) {
  fail(`the file does not end on the chain head ${header.head} (events at the end are missing)`);
}
console.log(`OK: ${count} events of account ${header.account_id}${header.filtered ? ` (filtered: ${gaps} gaps not checkable)` : ''}; chain head ${header.head}`);
