/**
 * Ids that do not follow the time (issue #28): a Galera cluster hands out auto-increment ids per
 * node (node 1: 1, 4, 7…; node 2: 2, 5, 8…), so a later event of a chain may get a lower id. The
 * trail's order is each event's place in its chain (`seq`): the Auditoria page, its date range and
 * paging, the export and audit:verify all read it, never the id.
 */
import { expect } from 'chai';
import { AuditService, type Actor } from '../../server/audit/audit.service';
import { verifyChains } from '../../server/audit/audit-verify';
import { eventHash } from '../../server/audit/event-format';
import { addMember, createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { decode } from './helpers/contacts';

/** The events' times as listed on a page, in order. */
const times = (html: string) => [...decode(html).matchAll(/<time datetime="([^"]+)">/g)].map((m) => m[1]!);
const nextHref = (html: string) => /<a href="([^"]+)"[^>]* rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
const day = (n: number) => new Date(Date.UTC(2026, 4, 1 + n, 15, 0, 0));

describe('audit trail: ids out of time order (Galera)', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let admin: { agent: Agent; csrf: string };
  let base: string;
  const audit = new AuditService();
  /** The account's test events in chain order, with the day each was stamped. */
  const written: { id: number; at: Date }[] = [];

  /**
   * Writes an event as record() does, then stamps it `at` and hashes it again (the head too), as if
   * written that day: the chain stays whole and its order is kept (the days grow).
   */
  async function record(actor: Actor, action: string, at: Date, target?: { type: string; id: number }) {
    await portal.db.transaction((trx) => audit.record(trx, actor, { accountId: account.accountId, action, target, details: { n: written.length } }));
    const last = await portal.db('audit_events').where({ account_id: account.accountId }).orderBy('seq', 'desc').first();
    const hash = eventHash({ ...last, created_at: at });
    await portal.db('audit_events').where({ id: last.id }).update({ created_at: at, hash });
    await portal.db('audit_chain_heads').where({ chain_id: account.accountId }).update({ last_hash: hash });
    written.push({ id: Number(last.id), at });
  }

  /** Gives the account's events new ids that run against their order, as two or three nodes would. */
  async function scrambleIds() {
    const top = Number((await portal.db('audit_events').max('id as id').first())!.id) + 1000;
    const rows = await portal.db('audit_events').where({ account_id: account.accountId }).orderBy('seq').select('id');
    // Newest first gets the lowest id; each id on a node's own offset (a step of 3).
    const fresh = rows.map((_, i) => top + (rows.length - i) * 3 + (i % 3));
    for (const [i, row] of rows.entries()) await portal.db('audit_events').where({ id: row.id }).update({ id: fresh[i] });
    for (const w of written) w.id = fresh[rows.findIndex((r) => Number(r.id) === w.id)]!;
  }

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db, { name: 'Empresa em Cluster' });
    base = `/accounts/${account.accountId}/audit`;
    const paulo = await addMember(portal.db, account.accountId, { name: 'Paulo Cluster' });
    const ana: Actor = { userId: account.admin.userId, contactId: account.admin.contactId, name: account.admin.name };
    const pauloActs: Actor = { userId: paulo.userId, contactId: paulo.contactId, name: paulo.name };
    // 30 events, one a day, alternating actors; the ids are rewritten afterwards.
    for (let n = 0; n < 30; n++) await record(n % 2 ? pauloActs : ana, 'invitation.resent', day(n), { type: 'contact', id: paulo.contactId });
    await scrambleIds();
    admin = await loggedIn(portal, account.admin.email, PASSWORD);
  });

  it('the ids now fall as the events get newer (the premise of the other checks)', async () => {
    const ids = written.map((w) => w.id);
    expect(ids[0]).to.be.greaterThan(ids[29]!);
    expect(ids.slice(0, 3)).to.not.deep.equal([...ids.slice(0, 3)].sort((a, b) => a - b));
  });

  it('audit:verify walks the chain by place and passes', async () => {
    const report = await verifyChains(portal.db, { chainId: account.accountId, batch: 7 });
    expect(report.problems).to.deep.equal([]);
  });

  it('the page lists newest first, and pages on to the oldest with the next link', async () => {
    const first = await admin.agent.get(`${base}?action=invitation.resent`).expect(200);
    const newest = written.slice(-25).reverse().map((w) => w.at.toISOString());
    expect(times(first.text)).to.deep.equal(newest);
    const second = await admin.agent.get(nextHref(first.text)!).expect(200);
    expect(times(second.text)).to.deep.equal(written.slice(0, 5).reverse().map((w) => w.at.toISOString()));
    expect(nextHref(second.text)).to.equal(undefined);
  });

  it('a date range lists exactly the events of those days, newest first, alone and with a person', async () => {
    // Days are the portal's (São Paulo, UTC-3); 15:00 UTC is the same day there.
    const between = (from: number, to: number) => written.slice(from, to + 1).reverse().map((w) => w.at.toISOString());
    const ymd = (n: number) => day(n).toISOString().slice(0, 10);
    expect(times((await admin.agent.get(`${base}?from=${ymd(10)}&to=${ymd(14)}`)).text)).to.deep.equal(between(10, 14));
    expect(times((await admin.agent.get(`${base}?to=${ymd(2)}`)).text)).to.deep.equal(between(0, 2));
    expect(times((await admin.agent.get(`${base}?from=${ymd(27)}`)).text)).to.deep.equal(between(27, 29));
    const anaInRange = written.slice(10, 15).filter((_, i) => (10 + i) % 2 === 0).reverse().map((w) => w.at.toISOString());
    expect(times((await admin.agent.get(`${base}?person=${account.admin.contactId}&role=by&from=${ymd(10)}&to=${ymd(14)}`)).text)).to.deep.equal(anaInRange);
  });

  it('the export comes in chain order, each event with its place', async () => {
    const res = await admin.agent.get(`${base}/export.jsonl?action=invitation.resent`).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => done(null, text));
    }).expect(200);
    const [header, ...events] = String(res.body).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(events.map((e) => Number(e.id))).to.deep.equal(written.map((w) => w.id));
    const places = events.map((e) => Number(e.seq));
    expect(places).to.deep.equal([...places].sort((a, b) => a - b));
    expect(header).to.include({ head_seq: String(places.at(-1)), head_event_id: String(written.at(-1)!.id) });
  });
});
