import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { addMember, createAccount, uniqueEmail } from '../support/fixtures';
import { to } from '../support/mail';
import { countersOf, decode, flashes, realCountsOf, validContact } from '../integration/helpers/contacts';
import { registration } from '../integration/helpers/invitations';
import { anonymous, get, logIn, postForm } from './client';
import { clusterRun, DATABASE, type ClusterRun } from './fixture';

/**
 * The rules that rely on row locks, with the competing requests reaching DIFFERENT nodes (one
 * portal process per node, one through HAProxy): each answers what a user sees and what every
 * node holds. The conflicts the nodes reported (certification failures, brute-force aborts — each
 * a 1213 that the retry helper reran) are printed per scenario.
 */
const INVITATION_LINK = /http:\/\/portal\.test(\/invitations\/[A-Za-z0-9_-]{43})(?=\s|$)/;

describe('the portal on a three-node Galera cluster: rules under contention across nodes', function () {
  this.timeout(180_000);
  let run: ClusterRun;

  before(() => {
    run = clusterRun();
  });

  const portal = (i: number) => run.portals[i % run.portals.length]!.baseUrl;

  /** Runs `check` on every node after it has applied every write committed anywhere. */
  const onEveryNode = async (check: (db: Parameters<Parameters<ClusterRun['synced']>[1]>[0], node: number) => Promise<void>) => {
    for (const node of [0, 1, 2]) await run.synced(node, (db) => check(db, node));
  };

  it('every table of core and the plugins has a primary key and uses InnoDB: what Galera needs to replicate its rows', async () => {
    const tables = await run.synced(0, async (db) => (await db.raw(
      `SELECT t.table_name AS name, t.engine AS engine, MAX(c.constraint_type = 'PRIMARY KEY') AS has_key
         FROM information_schema.tables t
         LEFT JOIN information_schema.table_constraints c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
        WHERE t.table_schema = ? AND t.table_type = 'BASE TABLE'
        GROUP BY t.table_name, t.engine`, [DATABASE]))[0] as { name: string; engine: string; has_key: number | null }[]);
    expect(tables.length, 'tables migrated').to.be.above(20);
    expect(tables.filter((t) => !Number(t.has_key)).map((t) => t.name), 'without a primary key').to.deep.equal([]);
    expect(tables.filter((t) => t.engine !== 'InnoDB').map((t) => `${t.name} (${t.engine})`), 'not InnoDB').to.deep.equal([]);
  });

  it('20 concurrent adds for the last seat, over four processes and three nodes: exactly one contact, counters equal to the rows', async () => {
    const { accountId, admin } = await createAccount(run.db(0), { seatLimit: 2 });
    const session = await logIn(portal(0), admin.email);
    const before = await countersOf(run.db(0), accountId);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      postForm(portal(i), session, `/accounts/${accountId}/contacts`, validContact({ name: `Concorrente ${i}` }))));
    expect(responses.map((r) => r.status).sort()).to.deep.equal([303, ...Array<number>(19).fill(409)]);
    await onEveryNode(async (db) => {
      expect(await countersOf(db, accountId)).to.deep.equal({ ...before, pending: before.pending + 1 });
      expect((await realCountsOf(db, [accountId])).get(accountId)).to.deep.equal(await countersOf(db, accountId));
    });
  });

  it('two handovers of the administration at once, on different nodes: one owner, one transfer told, the other refused', async () => {
    // Three accounts, each with its two transfers on another pair of nodes.
    const cases = await Promise.all([[0, 1], [1, 2], [2, 0]].map(async ([x, y]) => {
      const { accountId, admin } = await createAccount(run.db(0));
      const bia = await addMember(run.db(0), accountId, { name: 'Bia Receptora' });
      const caio = await addMember(run.db(0), accountId, { name: 'Caio Receptor' });
      const tabs = [{ base: portal(x!), session: await logIn(portal(x!), admin.email), receiver: bia }, { base: portal(y!), session: await logIn(portal(y!), admin.email), receiver: caio }];
      return { accountId, admin, tabs };
    }));
    await Promise.all(cases.map(async (c) => {
      const answers = await Promise.all(c.tabs.map((t) => postForm(t.base, t.session, `/accounts/${c.accountId}/owner`, { receiver: String(t.receiver.contactId), formerProfile: 'member' })));
      // The loser is refused: a redirect with a message, or 403 once its own page already saw the new owner.
      for (const a of answers) expect([303, 403]).to.include(a.status);
      const messages = (await Promise.all(c.tabs.map(async (t) => flashes(await (await get(t.base, `/accounts/${c.accountId}`, t.session)).text())))).flat();
      expect(messages.filter((m) => m.startsWith('A administração foi transferida para ')), messages.join(' | ')).to.have.length(1);
      await onEveryNode(async (db) => {
        const owner = Number((await db('accounts').where({ id: c.accountId }).first('owner_contact_id')).owner_contact_id);
        const winner = c.tabs.find((t) => t.receiver.contactId === owner);
        expect(winner, `owner ${owner}`).to.not.equal(undefined);
        const loser = c.tabs.find((t) => t !== winner)!.receiver;
        const profiles = Object.fromEntries((await db('contacts').whereIn('id', [owner, loser.contactId, c.admin.contactId]).select('id', 'profile')).map((r: { id: number; profile: string }) => [Number(r.id), r.profile]));
        expect(profiles).to.deep.equal({ [owner]: 'administrator', [loser.contactId]: 'member', [c.admin.contactId]: 'member' });
        expect(await db('audit_events').where({ account_id: c.accountId, action: 'owner.transferred' })).to.have.length(1);
      });
    }));
  });

  it('10 registrations through one invitation link at once, on different nodes: one login, one acceptance, one confirmation e-mail', async () => {
    const { accountId, admin } = await createAccount(run.db(0));
    const email = uniqueEmail('corrida');
    const invited = await postForm(portal(0), await logIn(portal(0), admin.email), `/accounts/${accountId}/invitations`, { addresses: email, profile: 'member' });
    expect(invited.status).to.equal(200);
    const mail = await run.smtp.waitFor((m) => to(email)(m) && INVITATION_LINK.test(m.text ?? ''), 30_000);
    const link = INVITATION_LINK.exec(mail.text!)![1]!;

    const people = await Promise.all(Array.from({ length: 10 }, async (_, i) => ({ base: portal(i), session: await anonymous(portal(i), link) })));
    const answers = await Promise.all(people.map(async (p) => {
      const res = await postForm(p.base, p.session, link, registration({ name: 'Pessoa Apressada' }));
      return { status: res.status, text: decode(await res.text()) };
    }));
    const registered = answers.filter((a) => a.status === 200);
    expect(registered, answers.map((a) => a.status).join(',')).to.have.length(1);
    expect(registered[0]!.text).to.contain(`Enviamos um link de confirmação para ${email}.`);
    // The others: the link is used (410), or the login now exists and they are sent to sign in (303).
    for (const a of answers.filter((x) => x.status !== 200)) expect([303, 410]).to.include(a.status);

    await run.smtp.waitFor((m) => to(email)(m) && m.subject === 'Confirme seu e-mail no Portal do Cliente', 30_000);
    await onEveryNode(async (db) => {
      expect(await db('users').where({ email })).to.have.length(1);
      expect(await db('audit_events').where({ account_id: accountId, action: 'invitation.accepted' })).to.have.length(1);
      expect(await db('contacts').where({ account_id: accountId, email }).select('status')).to.deep.equal([{ status: 'pending' }]);
    });
    expect(run.smtp.messages.filter((m) => to(email)(m) && m.subject === 'Confirme seu e-mail no Portal do Cliente')).to.have.length(1);
  });

  it('12 queued e-mails with a mail worker in every process (one per node): each delivered exactly once', async () => {
    const { accountId, admin } = await createAccount(run.db(0), { seatLimit: 50 });
    const emails = Array.from({ length: 12 }, () => uniqueEmail('fila'));
    const sentBefore = run.portals.map((p) => (p.process.output().match(/"msg":"mail sent"/g) ?? []).length);
    const res = await postForm(portal(3), await logIn(portal(3), admin.email), `/accounts/${accountId}/invitations`, { addresses: emails.join('\n'), profile: 'member' });
    expect(res.status).to.equal(200);
    for (const email of emails) await run.smtp.waitFor(to(email), 60_000);
    // Every row done in the outbox, then the workers' next turns (poll: 2 s) find nothing more to send.
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const rows = await run.synced(0, (db) => db('mail_outbox').whereIn('to_address', emails).select('status'));
      if (rows.length === 12 && rows.every((r: { status: string }) => r.status === 'sent')) break;
      if (Date.now() > end) expect.fail(`outbox rows not all sent: ${JSON.stringify(rows)}`);
    }
    await new Promise((r) => setTimeout(r, 5_000));
    expect(emails.map((e) => run.smtp.messages.filter(to(e)).length)).to.deep.equal(Array<number>(12).fill(1));
    const sentBy = run.portals.map((p, i) => `${p.name} ${(p.process.output().match(/"msg":"mail sent"/g) ?? []).length - sentBefore[i]!}`);
    console.log(`      sent by: ${sentBy.join(', ')}`);
  });

  it('concurrent audited writes in one account through every node: `npm run audit:verify -- --account N` on node 0 exits 0', async () => {
    const { accountId, admin } = await createAccount(run.db(0), { seatLimit: 100 });
    const sessions = await Promise.all(run.portals.map((p) => logIn(p.baseUrl, admin.email)));
    // Four active colleagues to rename (a pending contact's details wait for the person's acceptance).
    const colleagues = await Promise.all([0, 1, 2, 3].map((i) => addMember(run.db(0), accountId, { name: `Auditado ${i}` })));
    // 12 adds and 8 renames (two per colleague, from two nodes) at once.
    const writes = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => postForm(portal(i), sessions[i % 4]!, `/accounts/${accountId}/contacts`, validContact({ name: `Auditado extra ${i}` }))),
      ...Array.from({ length: 8 }, (_, i) => postForm(portal(i + 1), sessions[(i + 1) % 4]!, `/accounts/${accountId}/contacts/${colleagues[i % 4]!.contactId}/edit`, validContact({ name: `Auditado editado ${i}`, email: colleagues[i % 4]!.email }))),
    ]);
    expect(writes.map((w) => w.status)).to.deep.equal(Array<number>(20).fill(303));
    // Each answered as done: an add names the new contact, a rename comes back to its form, saved.
    expect(writes.slice(0, 12).filter((w) => /[?&]saved=\d+/.test(w.headers.get('location') ?? ''))).to.have.length(12);
    expect(writes.slice(12).filter((w) => (w.headers.get('location') ?? '').endsWith('/edit?saved=1'))).to.have.length(8);
    await run.synced(0, async (db) => {
      const row = await db('audit_events').where({ account_id: accountId }).whereIn('action', ['contact.created', 'contact.updated']).count({ n: '*' }).first();
      expect(Number(row!.n)).to.equal(20);
    });

    await run.synced(0, (db) => db.raw('SELECT 1'));
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: run.cluster.url(DATABASE, 0) };
    delete env.NODE_ENV;
    const verify = await promisify(execFile)('npm', ['run', 'audit:verify', '--', '--account', String(accountId)], { env, timeout: 120_000 })
      .then((r) => ({ code: 0, out: r.stdout + r.stderr }), (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code, out: `${err.stdout}${err.stderr}` }));
    expect(verify.out).to.match(/OK: 1 chain\(s\), \d+ events verified/);
    expect(verify.code, verify.out).to.equal(0);
  });
});
