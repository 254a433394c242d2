/**
 * What bench/audit seeds: one account with 2,000 contacts (200 of them with a login, the people who
 * act) and a trail of BENCH_EVENTS events over two years, each event split and hashed by
 * server/audit/event-format.ts exactly as AuditService.record() does, chained on the account's
 * head, written by multi-row INSERTs (record() one at a time would take hours).
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { eventHash, FORMAT, splitPersonal } from '../server/audit/event-format';
import { ContactLedger } from '../server/contacts/contact-ledger';
import { createAccount } from '../test/support/fixtures';
import { nextCpf, nextPhone, personName, prng } from './contacts-seed';

export const ACTORS = 200;
const CONTACTS = 2000;
const TICKETS = 20_000;
const GROUPS = 12;
const BATCH = 2000;
const DAY = 86_400_000;

export interface Person {
  contactId: number;
  userId: number | null;
  name: string;
  email: string;
}

export interface AuditAccount {
  accountId: number;
  /** The primary administrator: who browses "Auditoria" (fixtures' PASSWORD). */
  admin: Person;
  /** The people who act, busiest first (the administrator is the first). */
  actors: Person[];
  /** The trail's time span. */
  from: Date;
  to: Date;
}

const rnd = prng(20261205);
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');

/** The account, its administrator and 1,999 more contacts (199 with a login), through the product's ledger. */
async function seedPeople(db: Knex): Promise<{ accountId: number; admin: Person; actors: Person[]; others: Person[] }> {
  const { accountId, admin } = await createAccount(db, { name: 'Companhia Brasileira de Tecnologia S.A.', seatLimit: CONTACTS + 100 });
  const hash = (await db('users').where({ id: admin.userId }).first('password_hash')).password_hash as string;
  const now = new Date();
  const people = Array.from({ length: CONTACTS - 1 }, (_, i) => {
    const { name, first, last } = personName();
    return { name, email: `${fold(first)}.${fold(last)}.${i}@cbt.com.br`, withLogin: i < ACTORS - 1 };
  });
  const users = people.filter((p) => p.withLogin).map((p) => ({ email: p.email, name: p.name, password_hash: hash, locale: 'pt-BR', verified_at: now, created_at: now, updated_at: now }));
  await db('users').insert(users);
  const userIds = new Map((await db('users').whereIn('email', users.map((u) => u.email)).select('id', 'email')).map((u: { id: number; email: string }) => [u.email, Number(u.id)]));
  const ids = await db.transaction(async (trx) => {
    const ledger = new ContactLedger(db);
    const account = await ledger.lockAccount(trx, accountId);
    return ledger.enter(trx, account, people.map((p, i) => ({
      user_id: userIds.get(p.email) ?? null, status: p.withLogin || i % 10 ? 'active' : 'pending', profile: i < 10 ? 'administrator' : 'member',
      name: p.name, email: p.email, country: 'BR', document_type: 'cpf', document_number: nextCpf(), ...nextPhone(), created_by_contact_id: admin.contactId,
    })));
  });
  const all = people.map((p, i) => ({ contactId: ids[i]!, userId: userIds.get(p.email) ?? null, name: p.name, email: p.email }));
  const adminPerson = { contactId: admin.contactId, userId: admin.userId, name: admin.name, email: admin.email };
  return { accountId, admin: adminPerson, actors: [adminPerson, ...all.filter((p) => p.userId !== null)], others: all.filter((p) => p.userId === null) };
}

/** Busiest first: the k-th actor acts ~1/k^0.8 as often (the administrator ~10 % of the trail, the median actor ~0.25 %). */
function actorPicker(actors: Person[]): () => Person {
  const weights = actors.map((_, k) => 1 / (k + 1) ** 0.8);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((sum, w, i) => (cumulative[i] = sum + w / total), 0);
  return () => {
    const r = rnd.next();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return actors[lo]!;
  };
}

type Shape = { action: string; weight: number; make: (actor: Person, contact: Person) => { target: [string, string | number] | null; details: Record<string, unknown> | null } };

const PERMISSIONS = ['support.portal', 'support.bpo-full', 'support.restricted', 'education.manager', 'cloud.control-center', 'contacts.import', 'audit.view', 'documents.download'];
const SHAPES: Shape[] = [
  { action: 'contact.updated', weight: 30, make: (_a, c) => ({ target: ['contact', c.contactId], details: rnd.next() < 0.5
    ? { before: { phone: nextPhone().phone, area_code: '11' }, after: { phone: nextPhone().phone, area_code: '21' } }
    : { before: { name: c.name, email: c.email }, after: { name: `${c.name} Filho`, email: c.email.replace('@', '.novo@') } } }) },
  { action: 'contact.permissions_changed', weight: 12, make: (_a, c) => ({ target: ['contact', c.contactId], details: { before: { profile: 'member' }, after: { profile: 'member', groups: [1 + rnd.int(GROUPS)] }, added: [rnd.pick(PERMISSIONS)], removed: rnd.next() < 0.3 ? [rnd.pick(PERMISSIONS)] : [] } }) },
  { action: 'support.ticket_commented', weight: 15, make: () => ({ target: ['support_ticket', 1 + rnd.int(TICKETS)], details: rnd.next() < 0.2 ? { after: { attachments: [{ name: 'nota-fiscal.xml', size: 20_000 + rnd.int(90_000) }] } } : null }) },
  { action: 'support.ticket_opened', weight: 5, make: () => ({ target: ['support_ticket', 1 + rnd.int(TICKETS)], details: { after: { subject: 'NF-e rejeitada: duplicidade', category: 'incident', priority: 'medium' } } }) },
  { action: 'user.passkey_used', weight: 8, make: (a) => ({ target: ['user', a.userId!], details: { device: 'Chrome em Windows' } }) },
  { action: 'user.step_up_approved', weight: 4, make: (a) => ({ target: ['user', a.userId!], details: { method: 'totp' } }) },
  { action: 'invitation.sent', weight: 6, make: (_a, c) => ({ target: ['contact', c.contactId], details: { to: c.email } }) },
  { action: 'contact.created', weight: 6, make: (_a, c) => ({ target: ['contact', c.contactId], details: { after: { name: c.name, email: c.email, country: 'BR', document_type: 'cpf', document_number: nextCpf(), status: 'pending', profile: 'member', flags: [] }, invitation: 'sent' } }) },
  { action: 'contact.deactivated', weight: 3, make: (_a, c) => ({ target: ['contact', c.contactId], details: { before: { status: 'active' }, after: { status: 'deactivated' } } }) },
  { action: 'contact.reactivated', weight: 1, make: (_a, c) => ({ target: ['contact', c.contactId], details: { before: { status: 'deactivated' }, after: { status: 'active' } } }) },
  { action: 'invitation.accepted', weight: 3, make: (a) => ({ target: ['contact', a.contactId], details: null }) },
  { action: 'group.updated', weight: 2, make: () => ({ target: ['group', 1 + rnd.int(GROUPS)], details: { before: { name: 'Suporte' }, after: { name: 'Suporte N1' }, added: [rnd.pick(PERMISSIONS)] } }) },
  { action: 'user.password_changed', weight: 2, make: (a) => ({ target: ['user', a.userId!], details: null }) },
  { action: 'contacts.exported', weight: 1, make: () => ({ target: null, details: { status: 'active', q: '', rows: 1800 + rnd.int(200) } }) },
  { action: 'cloud.environment_restarted', weight: 2, make: () => ({ target: ['cloud_environment', `prod-${1 + rnd.int(8)}`], details: null }) },
];
const SHAPE_TOTAL = SHAPES.reduce((n, s) => n + s.weight, 0);
function pickShape(): Shape {
  let r = rnd.next() * SHAPE_TOTAL;
  for (const s of SHAPES) if ((r -= s.weight) < 0) return s;
  return SHAPES[0]!;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
];

/** The account and `events` events ending a day ago; returns who is who. */
export async function seedAudit(db: Knex, events: number, log: (line: string) => void): Promise<AuditAccount> {
  const { accountId, admin, actors, others } = await seedPeople(db);
  const pickActor = actorPicker(actors);
  const targets = [...actors, ...others];
  const to = new Date(Date.now() - DAY);
  const from = new Date(to.getTime() - 730 * DAY);
  const step = (to.getTime() - from.getTime()) / events;
  const head = await db('audit_chain_heads').where({ chain_id: accountId }).first('last_hash', 'last_seq');
  let prev: string | null = head?.last_hash ?? null;
  let seq = Number(head?.last_seq ?? 0);
  const started = Date.now();
  for (let n = 0; n < events; ) {
    const rows = [];
    for (let i = 0; i < BATCH && n < events; i++, n++) {
      const actor = pickActor();
      const shape = pickShape();
      const { target, details } = shape.make(actor, rnd.pick(targets));
      // As actorFrom() hands it on requests that passed step-up.
      const stepUp = shape.action === 'contact.permissions_changed' ? { method: 'totp', at: new Date(from.getTime() + n * step - 60_000).toISOString() } : undefined;
      const row = {
        format: FORMAT, account_id: accountId, actor_user_id: actor.userId, actor_contact_id: actor.contactId, actor_name: null, action: shape.action,
        target_type: target?.[0] ?? null, target_id: target ? String(target[1]) : null,
        ...splitPersonal(stepUp ? { ...details, _stepUp: stepUp } : details, actor.name),
        ip: `200.${147 + (actor.contactId % 50)}.${actor.contactId % 256}.${1 + rnd.int(250)}`, user_agent: AGENTS[actor.contactId % AGENTS.length]!,
        request_id: randomBytes(8).toString('hex'), created_at: new Date(Math.round(from.getTime() + n * step + rnd.next() * step * 0.9)), prev_hash: prev,
      };
      const hash = eventHash(row);
      rows.push({ ...row, hash, seq: ++seq });
      prev = hash;
    }
    await db('audit_events').insert(rows);
    if (n % 100_000 === 0) log(`  ${n.toLocaleString('en')} events, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  await db('audit_chain_heads').insert({ chain_id: accountId, last_hash: prev, last_seq: seq, updated_at: new Date() }).onConflict('chain_id').merge();
  return { accountId, admin, actors, from, to };
}

/** The seeded account again (BENCH_SKIP_SEED): the administrator and the actors, busiest first. */
export async function seededAccount(db: Knex): Promise<AuditAccount> {
  const account = await db('accounts').orderBy('id').first('id', 'owner_contact_id');
  if (!account) throw new Error('bench_audit is not seeded: run without BENCH_SKIP_SEED');
  const accountId = Number(account.id);
  const counts = (await db('audit_events').where({ account_id: accountId }).groupBy('actor_contact_id').select('actor_contact_id').count({ n: '*' }).orderBy('n', 'desc')) as unknown as { actor_contact_id: number; n: number }[];
  const people = new Map((await db('contacts').where({ account_id: accountId }).select('id', 'user_id', 'name', 'email')).map((c: { id: number; user_id: number | null; name: string; email: string }) => [Number(c.id), { contactId: Number(c.id), userId: c.user_id === null ? null : Number(c.user_id), name: c.name, email: c.email }]));
  const actors = counts.map((c) => people.get(Number(c.actor_contact_id))!).filter(Boolean);
  const span = (await db('audit_events').where({ account_id: accountId }).min({ from: 'created_at' }).max({ to: 'created_at' }).first())!;
  return { accountId, admin: people.get(Number(account.owner_contact_id))!, actors, from: new Date(span.from), to: new Date(span.to) };
}
