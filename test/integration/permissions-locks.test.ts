/**
 * Group save and removal and the permission editor's save change the same rows (groups, their
 * flags, memberships, the account's audit chain). They take their locks in one order, the
 * account row first, so on MySQL/MariaDB several at once wait for each other instead of
 * deadlocking into a 500. (On SQLite writers are serialized anyway.)
 */
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { insertGroup, postForm } from './helpers/permissions';

describe('group and permission saves at the same time', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('never answer a 500: every save, edit and removal is done or refused', async function () {
    this.timeout(60_000);
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}`;
    // Set-up one at a time: only the requests below are meant to race.
    const admins = [];
    for (let i = 0; i < 3; i++) admins.push(await addMember(portal.db, account.accountId, { profile: 'administrator' }));
    const sessions: { agent: Agent; csrf: string }[] = [];
    for (const a of [account.admin, ...admins]) sessions.push(await loggedIn(portal, a.email, PASSWORD));
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await addMember(portal.db, account.accountId));
    const answers: string[] = [];

    for (let round = 0; round < 4; round++) {
      const groups: number[] = [];
      for (let i = 0; i < 3; i++) groups.push(await insertGroup(portal.db, account.accountId, `Grupo ${round}.${i}`, ['support.portal'], members.slice(i, i + 3).map((m) => m.contactId)));
      const deleted = groups[2]!;
      const requests = [
        ...members.map((m, i) => ({ url: `${base}/contacts/${m.contactId}/permissions`, form: { profile: 'member', groups: groups.filter((_, g) => (i + g) % 2 === 0) } })),
        ...groups.map((g, i) => ({ url: `${base}/groups/${g}`, form: { name: `Grupo ${round}.${i} editado`, flags: ['support.portal', 'cloud.control-center'] } })),
        { url: `${base}/groups/${deleted}/delete`, form: {} },
        { url: `${base}/groups`, form: { name: `Novo ${round}`, flags: ['support.bpo-full'] } },
      ];
      const results = await Promise.all(requests.map((r, i) => {
        const s = sessions[i % sessions.length]!;
        // Only a request naming the group deleted meanwhile may be turned away (404 or 422).
        const mayBeRefused = r.url === `${base}/groups/${deleted}` || (r.form as { groups?: number[] }).groups?.includes(deleted) === true;
        return postForm(s.agent, r.url, s.csrf, r.form).then((res) => `${res.status === 303 || (mayBeRefused && [404, 422].includes(res.status)) ? 'ok' : res.status} POST ${r.url}`);
      }));
      answers.push(...results);
    }
    expect(answers.filter((a) => !a.startsWith('ok ')), answers.join('\n')).to.deep.equal([]);
  });
});
