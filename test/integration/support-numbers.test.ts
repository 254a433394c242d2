/**
 * Ticket numbers per company (#24 item 8): each company counts its own tickets from 1, so its 7th
 * ticket is "#7" whatever other companies opened; "#7" in the search finds that ticket; two
 * tickets opened at once get two numbers.
 */
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { decode } from './helpers/contacts';
import { listedSubjects } from './helpers/support';

describe('Support tickets: numbered per company', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const open = (s: { agent: Awaited<ReturnType<typeof loggedIn>>['agent']; csrf: string }, base: string, subject: string) =>
    s.agent.post(`${base}?_csrf=${encodeURIComponent(s.csrf)}`).field('subject', subject).field('description', `${subject}: detalhes`).field('category', 'question').field('priority', 'medium');

  it("each company's tickets are #1, #2… whatever the others opened; the page says it was opened; '#2' finds it", async () => {
    const aurora = await createAccount(portal.db, { name: 'Aurora' });
    const other = await createAccount(portal.db, { name: 'Outra' });
    const a = await loggedIn(portal, aurora.admin.email, PASSWORD);
    const o = await loggedIn(portal, other.admin.email, PASSWORD);
    const aBase = `/accounts/${aurora.accountId}/p/support`;
    const oBase = `/accounts/${other.accountId}/p/support`;
    for (const subject of ['Outra 1', 'Outra 2', 'Outra 3']) expect((await open(o, oBase, subject)).status).to.equal(303);
    const first = await open(a, aBase, 'Aurora primeiro');
    const second = await open(a, aBase, 'Aurora segundo');
    expect(second.status).to.equal(303);

    // The ticket's page names its number and says it was opened.
    const page = decode((await a.agent.get(second.headers.location!)).text);
    expect(page).to.contain('<h1>#2 Aurora segundo</h1>');
    expect(page).to.contain('Chamado #2 aberto. Acompanhe as respostas por esta página.');
    // Only right after opening it.
    expect(decode((await a.agent.get(second.headers.location!.replace(/\?.*$/, ''))).text)).not.to.contain('aberto. Acompanhe');
    expect(decode((await a.agent.get(first.headers.location!)).text)).to.contain('<h1>#1 Aurora primeiro</h1>');

    const numbers = await portal.db('support_tickets').where({ account_id: aurora.accountId }).orderBy('id').pluck('number');
    expect(numbers.map(Number)).to.deep.equal([1, 2]);
    expect(listedSubjects((await a.agent.get(`${aBase}?q=%232`)).text)).to.deep.equal(['Aurora segundo']);
    expect(listedSubjects((await o.agent.get(`${oBase}?q=%232`)).text)).to.deep.equal(['Outra 2']);
  });

  it('tickets opened at the same time get distinct numbers, with no gap', async () => {
    const account = await createAccount(portal.db);
    // One ticket per person at once (a person has one upload in progress at a time).
    const emails = [account.admin.email];
    for (let i = 0; i < 4; i++) emails.push((await addMember(portal.db, account.accountId, { name: `Pessoa ${i}` })).email);
    const people = await Promise.all(emails.map((email) => loggedIn(portal, email, PASSWORD)));
    const base = `/accounts/${account.accountId}/p/support`;
    const answers = await Promise.all(people.map((s, i) => open(s, base, `Ao mesmo tempo ${i}`)));
    expect(answers.map((r) => r.status)).to.deep.equal(Array(5).fill(303));
    const numbers = (await portal.db('support_tickets').where({ account_id: account.accountId }).pluck('number')).map(Number).sort((x, y) => x - y);
    expect(numbers).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
