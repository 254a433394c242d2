import { ContactLedger } from '../../server/contacts/contact-ledger';
import { expect } from 'chai';
import { ContactRepository, type ContactStatus } from '../../server/contacts/contacts.repository';
import { fold, parseSearch } from '../../server/contacts/search-text';
import { createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';

const namesOnPage = (html: string) => [...html.matchAll(/<td[^>]*><a href="\/accounts\/\d+\/contacts\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]!);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every search is held to what reading every contact would give, page after page. */
describe('contacts list: one-word searches', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let agent: Agent;
  const repo = new ContactRepository();
  const contacts: { id: number; name: string; email: string; status: ContactStatus }[] = [];
  const surnames = ['Silva', 'Silvana', 'Silveira', 'Silverio', 'Souza', 'Silva Silveira'];

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db, { seatLimit: 200 });
    const ledger = new ContactLedger(portal.db);
    await portal.db.transaction(async (trx) => {
      const locked = await ledger.lockAccount(trx, account.accountId);
      for (let i = 0; i < 140; i++) {
        // Numbers out of insertion order, so name order and creation order differ.
        const name = `Pessoa ${String((i * 29) % 140).padStart(3, '0')} ${surnames[i % surnames.length]}`;
        const status: ContactStatus = i % 10 === 3 ? 'deactivated' : 'active';
        const email = `p${i}@busca.test`;
        const [id] = (await ledger.enter(trx, locked, [{ user_id: null, status, profile: 'member', name, email, country: 'BR' }])) as [number];
        contacts.push({ id, name, email, status });
      }
    });
    ({ agent } = await loggedIn(portal, account.admin.email, PASSWORD));
  });

  const expected = (prefix: string, status: ContactStatus, order: 'name' | 'created' = 'name') => {
    const found = contacts.filter((c) => c.status === status && c.name.toLowerCase().split(' ').some((w) => w.startsWith(prefix)));
    return order === 'name' ? found.map((c) => c.name).sort(byName) : [...found].sort((a, b) => b.id - a.id).map((c) => c.name);
  };
  const page = async (query: string) => {
    const res = await agent.get(`/accounts/${account.accountId}/contacts?${query}`);
    expect(res.status).to.equal(200);
    return { names: namesOnPage(res.text), hasNext: res.text.includes('rel="next"') };
  };

  it('a word of letters, frequent or rare, lists its matches by name and newest first, page after page', async () => {
    const pess = await page('q=pess');
    expect(pess.names).to.deep.equal(expected('pess', 'active').slice(0, 25));
    const all = expected('silveira', 'active');
    expect(all.length).to.be.greaterThan(25);
    const first = await page('q=silveira');
    expect(first.names).to.deep.equal(all.slice(0, 25));
    expect(first.hasNext).to.equal(true);
    const second = await page('q=silveira&page=2');
    expect(second.names).to.deep.equal(all.slice(25, 50));
    expect(second.hasNext).to.equal(all.length > 50);
    expect((await page('q=silveira&sort=created')).names).to.deep.equal(expected('silveira', 'active', 'created').slice(0, 25));
    expect((await page('q=silveira&sort=created&page=2')).names).to.deep.equal(expected('silveira', 'active', 'created').slice(25, 50));
  });

  it('lists every match of four terms once, by name, page after page', async () => {
    const all = expected('silv', 'active');
    expect(all.length).to.be.greaterThan(40); // two pages
    const first = await page('q=silv');
    const second = await page('q=silv&page=2');
    expect(first.names).to.deep.equal(all.slice(0, 25));
    expect(first.hasNext).to.equal(true);
    expect(second.names).to.deep.equal(all.slice(25, 50));
    expect(second.hasNext).to.equal(all.length > 50);
    // "Silva Silveira" matches two terms and is listed once.
    expect(new Set([...first.names, ...second.names]).size).to.equal(first.names.length + second.names.length);
  });

  it('an exact surname and the Desativados tab give what reading every contact gives', async () => {
    expect((await page('q=silveira')).names).to.deep.equal(expected('silveira', 'active').slice(0, 25));
    expect((await page('q=silveira&status=deactivated')).names).to.deep.equal(expected('silveira', 'deactivated'));
    expect((await page('q=silv&status=deactivated')).names).to.deep.equal(expected('silv', 'deactivated'));
    expect((await page('q=zzzz')).names).to.deep.equal([]);
  });

  it('newest first works the same way', async () => {
    expect((await page('q=silv&sort=created')).names).to.deep.equal(expected('silv', 'active', 'created').slice(0, 25));
  });

  it('follows a deactivation to the other tab, and a new name to its new place', async () => {
    const target = contacts.find((c) => c.status === 'active' && c.name.endsWith(' Silverio'))!;
    expect((await page('q=silverio')).names).to.include(target.name);
    await repo.update(portal.db, account.accountId, target.id, { status: 'deactivated' });
    target.status = 'deactivated';
    expect((await page('q=silverio')).names).to.not.include(target.name);
    expect((await page('q=silverio&status=deactivated')).names).to.include(target.name);

    const renamed = contacts.find((c) => c.status === 'active' && c.name.endsWith(' Souza'))!;
    await repo.update(portal.db, account.accountId, renamed.id, { name: 'Aaron Silvano', email: renamed.email, country: 'BR' });
    renamed.name = 'Aaron Silvano';
    const first = await page('q=silv');
    expect(first.names[0]).to.equal('Aaron Silvano');
    expect(first.names).to.deep.equal(expected('silv', 'active').slice(0, 25));
    expect((await page('q=silvano')).names).to.deep.equal(['Aaron Silvano']);
    expect((await page('q=souza')).names).to.not.include('Aaron Silvano');
  });

  it('a word that starts several words of one contact lists that contact once', async () => {
    // "p" starts "pessoa" and every e-mail (p0@…, p1@…).
    const all = contacts.filter((c) => c.status === 'active').map((c) => c.name).sort(byName);
    expect((await page('q=p')).names).to.deep.equal(all.slice(0, 25));
  });

  it('every search lists exactly the contacts where each typed word starts a word of the name, the e-mail or its domain', async () => {
    const nameWords = (c: (typeof contacts)[number]) => fold(c.name).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    // The e-mail's domain from each of its parts ("busca.test", "test") is a word too.
    const domainStarts = (email: string) => email.slice(email.indexOf('@') + 1).split('.').map((_, i, parts) => parts.slice(i).join('.'));
    const matches = (c: (typeof contacts)[number], w: string) => [...nameWords(c), c.email, ...domainStarts(c.email)].some((t) => t.startsWith(w));
    const reference = (words: string[], status: ContactStatus, sort: 'name' | 'created') => {
      const found = contacts.filter((c) => c.status === status && words.every((w) => matches(c, w)));
      return sort === 'name' ? found.map((c) => c.name).sort(byName) : [...found].sort((a, b) => b.id - a.id).map((c) => c.name);
    };
    const searches = ['silv', 'silva', 'pessoa', 'pess silv', 'silva silveira', 'silveira silva', 'p', 'pessoa 01', 'p1', 'p12@busca', 'p1@', 'P1@BUSCA', 'souza pessoa', 'zzz silva', 'busca', 'sílvá', '100%', 'p_2', 'p_2@', 'p%@', 'p!1@'];
    let compared = 0;
    for (const q of searches) {
      for (const status of ['active', 'deactivated'] as const) {
        for (const sort of ['name', 'created'] as const) {
          const want = reference(parseSearch(q), status, sort);
          for (const offset of [0, 25]) {
            const rows = await repo.list(portal.db, { accountId: account.accountId, status, words: parseSearch(q), sort, offset, limit: 25 });
            expect(rows.map((r) => r.name), `${q} / ${status} / ${sort} / ${offset}`).to.deep.equal(want.slice(offset, offset + 26));
            compared++;
          }
        }
      }
    }
    expect(compared).to.equal(searches.length * 8);
    expect(reference(['pess', 'silv'], 'active', 'name').length).to.be.greaterThan(25);
    expect(reference(['p1@'], 'active', 'name').length).to.be.greaterThan(0);
  });
});
