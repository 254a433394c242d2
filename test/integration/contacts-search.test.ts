import { expect } from 'chai';
import { AccountRepository } from '../../server/accounts/accounts.repository';
import { ContactRepository, type ContactStatus } from '../../server/contacts/contacts.repository';
import { fold, isLetterWord, parseSearch } from '../../server/contacts/search-terms';
import { selectRows } from '../../server/db/knex';
import { createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';

const namesOnPage = (html: string) => [...html.matchAll(/<td><a href="\/accounts\/\d+\/contacts\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]!);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A search word of letters is one prefix term ("silv" stands for silva, silvana, silveira, …),
 * read in list order straight from the term index; words with digits or "@" read the range of
 * whole terms they start. Both are held to what reading every contact would give.
 */
describe('contacts list: one-word searches', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let agent: Agent;
  const repo = new ContactRepository();
  const contacts: { id: number; name: string; email: string; status: ContactStatus }[] = [];
  const surnames = ['Silva', 'Silvana', 'Silveira', 'Silverio', 'Souza', 'Silva Silveira'];

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db);
    await portal.db.transaction(async (trx) => {
      for (let i = 0; i < 140; i++) {
        // Numbers out of insertion order, so name order and creation order differ.
        const name = `Pessoa ${String((i * 29) % 140).padStart(3, '0')} ${surnames[i % surnames.length]}`;
        const status: ContactStatus = i % 10 === 3 ? 'deactivated' : 'active';
        const email = `p${i}@busca.test`;
        const id = await repo.insert(trx, { account_id: account.accountId, user_id: null, status, profile: 'member', name, email, country: 'BR' });
        contacts.push({ id, name, email, status });
      }
      const active = contacts.filter((c) => c.status === 'active').length;
      await new AccountRepository(portal.db).adjustCounters(trx, account.accountId, { active, deactivated: contacts.length - active });
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

  it('a word of letters, frequent or rare, is one term read in list order: nothing to sort', async () => {
    const sent: string[] = [];
    const listener = (q: { sql: string }) => sent.push(q.sql);
    portal.db.on('query', listener);
    const pess = await page('q=pess');
    portal.db.off('query', listener);
    const list = sent.filter((q) => /contact_search_terms/.test(q));
    expect(list).to.have.length(1);
    expect(list[0]).to.match(/[`"]?t[`"]?\.[`"]?term[`"]? = \?/);
    expect(list[0]).to.not.match(/distinct|union/i);
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
    await repo.update(portal.db, account.accountId, renamed.id, { name: 'Aaron Silvano' });
    renamed.name = 'Aaron Silvano';
    const first = await page('q=silv');
    expect(first.names[0]).to.equal('Aaron Silvano');
    expect(first.names).to.deep.equal(expected('silv', 'active').slice(0, 25));
    expect((await page('q=silvano')).names).to.deep.equal(['Aaron Silvano']);
    expect((await page('q=souza')).names).to.not.include('Aaron Silvano');
  });

  it('a word that starts many different terms still finds the same contacts', async () => {
    // "p" starts "pessoa" and every e-mail (p0@…, p1@…): one prefix term, each contact once.
    const all = contacts.filter((c) => c.status === 'active').map((c) => c.name).sort(byName);
    expect((await page('q=p')).names).to.deep.equal(all.slice(0, 25));
  });

  it('whichever words are taken as frequent, every search lists exactly the contacts whose terms match every word', async () => {
    // Independent of how terms are stored: a word matches when a word of the name, the e-mail or
    // the document starts with it (letters compared folded, as typed otherwise).
    const nameWords = (c: (typeof contacts)[number]) => fold(c.name).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const matches = (c: (typeof contacts)[number], w: string) =>
      [...nameWords(c), isLetterWord(w) ? fold(c.email) : c.email.toLowerCase()].some((t) => t.startsWith(w));
    const reference = (words: string[], status: ContactStatus, sort: 'name' | 'created') => {
      const found = contacts.filter((c) => c.status === status && words.every((w) => matches(c, w)));
      return sort === 'name' ? found.map((c) => c.name).sort(byName) : [...found].sort((a, b) => b.id - a.id).map((c) => c.name);
    };
    const word = (w: string, n = 100) => ({ word: w, contacts: n });
    const plans = [
      [],
      [word('pessoa', 140), word('p', 140)],
      [word('silva'), word('silveira'), word('silvana'), word('silverio'), word('souza'), word('silv', 120)],
      [word('pessoa'), word('silva', 1), word('silvana', 5000), word('nobody'), word('s', 3), word('pess', 9999)],
    ];
    const searches = ['silv', 'silva', 'pessoa', 'pess silv', 'silva silveira', 'silveira silva', 'p', 'pessoa 01', 'p1', 'p12@busca', 'p1@', 'souza pessoa', 'zzz silva'];
    let compared = 0;
    for (const q of searches) {
      for (const frequent of plans) {
        for (const status of ['active', 'deactivated'] as const) {
          for (const sort of ['name', 'created'] as const) {
            const want = reference(parseSearch(q), status, sort);
            for (const offset of [0, 25]) {
              const rows = await repo.searchPage(portal.db, { accountId: account.accountId, status, terms: parseSearch(q), sort, offset, limit: 25 }, frequent);
              expect(rows.map((r: { name: string }) => r.name), `${q} / ${status} / ${sort} / ${offset} / ${frequent.map((f) => f.word)}`).to.deep.equal(want.slice(offset, offset + 26));
              compared++;
            }
          }
        }
      }
    }
    expect(compared).to.equal(searches.length * plans.length * 8);
    expect(reference(['pess', 'silv'], 'active', 'name').length).to.be.greaterThan(25);
  });

  it('a page read prepared (MySQL) has the same rows, values and types as knex reading it', async () => {
    for (const q of ['', 'silv', 'pessoa souza', 'p1']) {
      for (const sort of ['name', 'created'] as const) {
        const query = { accountId: account.accountId, status: 'active' as const, terms: parseSearch(q), sort, offset: 0, limit: 25 };
        const { statement } = await repo.listQuery(portal.db, query);
        const viaKnex = await statement.clone();
        const prepared = await selectRows<Record<string, unknown>>(portal.db, statement);
        expect(prepared, `${q} / ${sort}`).to.deep.equal(viaKnex);
        expect(prepared.length).to.be.greaterThan(0);
        expect(prepared[0]!.created_at).to.deep.equal(viaKnex[0].created_at);
      }
    }
  });
});
