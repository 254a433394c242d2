import { ContactLedger } from '../../server/contacts/contact-ledger';
import { expect } from 'chai';
import { ContactRepository } from '../../server/contacts/contacts.repository';
import { createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';

const namesOnPage = (html: string) => [...html.matchAll(/<td[^>]*><a href="\/accounts\/\d+\/contacts\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);

describe('contacts list: deep pages, by number and by their links', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let agent: Agent;
  const names: string[] = [];

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db, { seatLimit: 400 });
    const ledger = new ContactLedger(portal.db);
    await portal.db.transaction(async (trx) => {
      const people = [];
      for (let i = 0; i < 320; i++) {
        // Names out of insertion order, and two alike, so name order and creation order differ.
        const name = `Pessoa ${String((i * 37) % 320).padStart(3, '0')}${i % 50 === 0 ? '' : ' Souza'}`;
        names.push(name);
        people.push({ user_id: null, status: 'active' as const, profile: 'member', name, email: `p${i}@deep.test`, country: 'BR' });
      }
      await ledger.enter(trx, await ledger.lockAccount(trx, account.accountId), people);
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

  const nextHref = (html: string) => /<a href="([^"]+)"[^>]* rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const prevHref = (html: string) => /<a href="([^"]+)"[^>]* rel="prev"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

  /** Follows the `rel` links from `first` until a page has none, as a user clicking would: each page's names, each link taken. */
  async function follow(first: string, rel: 'next' | 'prev') {
    const pages: string[][] = [];
    const links: string[] = [];
    for (let url: string | undefined = first; url; ) {
      const res = await agent.get(url);
      expect(res.status).to.equal(200);
      pages.push(namesOnPage(res.text));
      url = (rel === 'next' ? nextHref : prevHref)(res.text);
      if (url) links.push(url);
    }
    return { pages, links };
  }

  /** Follows the "next" links from page 1 to the end. */
  async function clickThrough(first: string) {
    const { pages, links } = await follow(first, 'next');
    return { seen: pages.flat(), links };
  }

  it('"next" links carry where the page ended, and clicking through lists every contact once, in order', async () => {
    const all = [...names, account.admin.name].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const { seen, links } = await clickThrough(`/accounts/${account.accountId}/contacts`);
    expect(seen).to.deep.equal(all);
    expect(links).to.have.length(12);
    expect(links[0]).to.match(/[?&]page=2&after=\d+\.Pessoa/);
    // The same URL shows the same page again (reload, back/forward, a shared link), full or as the HTMX fragment.
    const page11 = await agent.get(links[9]!);
    expect(namesOnPage(page11.text)).to.deep.equal(all.slice(250, 275));
    expect(page11.text).to.contain('Página 11');
    const fragment = await agent.get(links[9]!).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
    expect(namesOnPage(fragment.text)).to.deep.equal(all.slice(250, 275));
  });

  it('newest first and searches follow their links the same way', async () => {
    const newestFirst = [...names].reverse().concat(account.admin.name);
    expect((await clickThrough(`/accounts/${account.accountId}/contacts?sort=created`)).seen).to.deep.equal(newestFirst);
    const souzas = names.filter((n) => n.endsWith('Souza')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const { seen, links } = await clickThrough(`/accounts/${account.accountId}/contacts?q=souza`);
    expect(seen).to.deep.equal(souzas);
    expect(links[0]).to.contain('q=souza');
    const souzasNewest = names.filter((n) => n.endsWith('Souza')).reverse();
    expect((await clickThrough(`/accounts/${account.accountId}/contacts?q=souz+pess&sort=created`)).seen).to.deep.equal(souzasNewest);
  });

  /** From the last page (reached by "next" links), follows the "previous" links back to page 1; pages in list order. */
  async function clickBack(first: string) {
    const forward = await follow(first, 'next');
    const { pages, links } = await follow(forward.links.at(-1) ?? first, 'prev');
    return { pages: pages.reverse(), links };
  }

  it('"previous" links carry the page number before: clicking back from the last page shows every page', async () => {
    const all = [...names, account.admin.name].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const { pages, links } = await clickBack(`/accounts/${account.accountId}/contacts`);
    expect(pages.flat()).to.deep.equal(all);
    expect(pages.map((p) => p.length)).to.deep.equal([...Array(12).fill(25), 21]);
    expect(links).to.have.length(12);
    expect(links[0]).to.equal(`/accounts/${account.accountId}/contacts?page=12`);
    expect(links[11]).to.equal(`/accounts/${account.accountId}/contacts`);
    // A page reached backwards still links forward, to the page it came from.
    const page11 = await agent.get(links[1]!);
    expect(page11.text).to.contain('Página 11');
    expect(namesOnPage((await agent.get(nextHref(page11.text)!)).text)).to.deep.equal(all.slice(275, 300));
  });

  it('newest first and searches go back the same way', async () => {
    const newestFirst = [...names].reverse().concat(account.admin.name);
    expect((await clickBack(`/accounts/${account.accountId}/contacts?sort=created`)).pages.flat()).to.deep.equal(newestFirst);
    const souzas = names.filter((n) => n.endsWith('Souza')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect((await clickBack(`/accounts/${account.accountId}/contacts?q=souza`)).pages.flat()).to.deep.equal(souzas);
    const souzasNewest = names.filter((n) => n.endsWith('Souza')).reverse();
    expect((await clickBack(`/accounts/${account.accountId}/contacts?q=souz+pess&sort=created`)).pages.flat()).to.deep.equal(souzasNewest);
    expect((await clickBack(`/accounts/${account.accountId}/contacts?q=pess+souza`)).pages.flat()).to.deep.equal(souzas);
  });

  it('a page reached by its link does not shift when a contact is added before it', async () => {
    const first = await agent.get(`/accounts/${account.accountId}/contacts`);
    const link = nextHref(first.text)!;
    const before = namesOnPage((await agent.get(link)).text);
    const id = await new ContactRepository().insert(portal.db, { account_id: account.accountId, user_id: null, status: 'active', profile: 'member', name: 'Aaa Primeira', email: 'aaa@deep.test', country: 'BR' });
    try {
      expect(namesOnPage((await agent.get(link)).text)).to.deep.equal(before);
      // The page number alone counts from the top again: the new contact moved everything by one.
      expect(namesOnPage((await agent.get(`/accounts/${account.accountId}/contacts?page=2`)).text)[1]).to.equal(before[0]);
    } finally {
      await new ContactRepository().delete(portal.db, account.accountId, id);
    }
  });

  it('a cursor edited by hand, or from the other order, is ignored: the page number is used', async () => {
    const all = [...names, account.admin.name].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const after of ['abc', '12', '-5.Pessoa', '99999999999.x', `1.${'x'.repeat(300)}`]) {
      const res = await agent.get(`/accounts/${account.accountId}/contacts?page=3&after=${encodeURIComponent(after)}`);
      expect(res.status, after).to.equal(200);
      expect(namesOnPage(res.text), after).to.deep.equal(all.slice(50, 75));
    }
    // "Anterior" links once carried a `before` cursor; one in an old bookmark is ignored too.
    const page10 = await portal.db('contacts').where({ account_id: account.accountId, name: all[225] }).first('id');
    for (const before of ['abc', '-5.Pessoa', `1.${'x'.repeat(300)}`, `${page10.id}.${all[225]}`]) {
      const res = await agent.get(`/accounts/${account.accountId}/contacts?page=3&before=${encodeURIComponent(before)}`);
      expect(namesOnPage(res.text), before).to.deep.equal(all.slice(50, 75));
    }
    // A cursor never moves page 1 off the top.
    expect(namesOnPage((await agent.get(`/accounts/${account.accountId}/contacts?page=1&before=${encodeURIComponent(`999999.Zz`)}`)).text)).to.deep.equal(all.slice(0, 25));
    // An id-only cursor belongs to the newest-first order.
    const newestFirst = [...names].reverse().concat(account.admin.name);
    const res = await agent.get(`/accounts/${account.accountId}/contacts?sort=created&page=3&after=1.Pessoa`);
    expect(namesOnPage(res.text)).to.deep.equal(newestFirst.slice(50, 75));
  });
});
