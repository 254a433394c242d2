import { expect } from 'chai';
import { ContactLedger } from '../../server/contacts/contact-ledger';
import { createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { decode, listedNames } from './helpers/contacts';

/** How people read a list of names: accents and case do not move a name ("Álvaro" is an A). */
const folded = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

describe('contacts list: sorted by name as people read names', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let agent: Agent;
  const names: { id: number; name: string }[] = [];
  // Accented first letters, lower-case names, and names equal once folded (paged apart by id).
  const given = ['Vinícius Souza', 'Álvaro Dias', 'beatriz lima', 'Bruno Alves', 'Érica Prado', 'eduardo costa', 'Zé Carlos', 'Ângela Reis', 'ana clara', 'Ana Clara', 'Úrsula Nunes', 'otávio melo', 'Óscar Paz', 'Ísis Rocha', 'igor dantas'];

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db);
    names.push({ id: account.admin.contactId, name: account.admin.name });
    const ledger = new ContactLedger(portal.db);
    await portal.db.transaction(async (trx) => {
      const locked = await ledger.lockAccount(trx, account.accountId);
      // Two rounds, so the list spans two pages of 25.
      for (let round = 0; round < 2; round++) {
        for (const [i, name] of given.entries()) {
          const [id] = (await ledger.enter(trx, locked, [{ user_id: null, status: 'active', profile: 'member', name, email: `s${round}.${i}@ordem.test`, country: 'BR' }])) as [number];
          names.push({ id, name });
        }
      }
    });
    ({ agent } = await loggedIn(portal, account.admin.email, PASSWORD));
  });

  const expected = () => [...names].sort((a, b) => (folded(a.name) < folded(b.name) ? -1 : folded(a.name) > folded(b.name) ? 1 : a.id - b.id)).map((c) => c.name);
  const linkOf = (html: string, rel: string) => {
    const m = new RegExp(`<a href="([^"]+)"[^>]*rel="${rel}"`).exec(html);
    return m ? decode(m[1]!) : undefined;
  };

  it('puts "Álvaro" among the A and lower-case names among the others, page after page, both ways', async () => {
    const first = await agent.get(`/accounts/${account.accountId}/contacts`);
    expect(first.status).to.equal(200);
    const page1 = listedNames(first.text);
    expect(page1.slice(0, 3)).to.deep.equal(['Álvaro Dias', 'Álvaro Dias', 'Ana Administradora']);
    expect(page1.indexOf('Álvaro Dias')).to.be.lessThan(page1.indexOf('Bruno Alves'));
    expect(page1.indexOf('beatriz lima')).to.be.lessThan(page1.indexOf('Bruno Alves'));
    expect(page1.indexOf('eduardo costa')).to.be.lessThan(page1.indexOf('Érica Prado'));
    expect(page1).to.deep.equal(expected().slice(0, 25));

    const next = linkOf(first.text, 'next');
    expect(next, 'a "Próxima" link').to.be.a('string');
    const second = await agent.get(next!);
    expect(listedNames(second.text)).to.deep.equal(expected().slice(25));
    expect(listedNames(second.text)).to.include('Vinícius Souza');
    expect(listedNames(second.text).at(-1)).to.equal('Zé Carlos');

    const previous = linkOf(second.text, 'prev');
    expect(previous, 'an "Anterior" link').to.be.a('string');
    expect(listedNames((await agent.get(previous!)).text)).to.deep.equal(expected().slice(0, 25));
  });

  it('a search keeps the same order', async () => {
    const res = await agent.get(`/accounts/${account.accountId}/contacts?q=clara`);
    expect(listedNames(res.text)).to.deep.equal(['ana clara', 'Ana Clara', 'ana clara', 'Ana Clara']);
  });
});
