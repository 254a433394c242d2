import { expect } from 'chai';
import { AccountRepository } from '../../server/accounts/accounts.repository';
import { ContactRepository } from '../../server/contacts/contacts.repository';
import { createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';

const namesOnPage = (html: string) => [...html.matchAll(/<td><a href="\/accounts\/\d+\/contacts\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);

describe('contacts list: deep pages (page 11 and beyond read ids from the index first)', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let agent: Agent;
  const names: string[] = [];

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db);
    const repo = new ContactRepository();
    await portal.db.transaction(async (trx) => {
      for (let i = 0; i < 320; i++) {
        // Names out of insertion order, and two alike, so name order and creation order differ.
        const name = `Pessoa ${String((i * 37) % 320).padStart(3, '0')}${i % 50 === 0 ? '' : ' Souza'}`;
        names.push(name);
        await repo.insert(trx, { account_id: account.accountId, user_id: null, status: 'active', profile: 'member', name, email: `p${i}@deep.test`, country: 'BR' });
      }
      await new AccountRepository(portal.db).adjustCounters(trx, account.accountId, { active: 320 });
    });
    ({ agent } = await loggedIn(portal, account.admin.email, PASSWORD));
  });

  it('shows the same rows, in the same order, as reading the whole list would (by name)', async () => {
    const all = [...names, account.admin.name].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const page of [10, 11, 13]) {
      const res = await agent.get(`/accounts/${account.accountId}/contacts?page=${page}`);
      expect(res.status).to.equal(200);
      expect(namesOnPage(res.text), `page ${page}`).to.deep.equal(all.slice((page - 1) * 25, page * 25));
      expect(res.text.includes('rel="next"'), `next link on page ${page}`).to.equal(page < 13);
    }
  });

  it('keeps creation order (newest first) on deep pages too', async () => {
    const newestFirst = [...names].reverse().concat(account.admin.name);
    const res = await agent.get(`/accounts/${account.accountId}/contacts?sort=created&page=12`);
    expect(namesOnPage(res.text)).to.deep.equal(newestFirst.slice(275, 300));
  });
});
