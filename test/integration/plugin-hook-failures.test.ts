/**
 * A plugin whose hook fails (a bug, not a HookRefusal) inside core's transaction: the change rolls
 * back whole (the contact, the owner, the counters, the audit trail, what the hook itself wrote),
 * the person gets the error page in their language saying nothing changed, the log names the
 * plugin and the hook, and the portal answers the next request as before.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { addMember } from '../support/fixtures';
import { startPortal, type TestPortal } from '../support/portal';
import { deadlockOnceFor, FAILING_PLUGIN_ID, failingFor } from '../fixtures/failing-plugins/failing-hooks/index';
import { auditEventsOf, contactsOf, countersOf, decode, expectCountersExact, flashes, newAdmin, postForm, type Admin } from './helpers/contacts';

const MESSAGES = {
  'pt-BR': 'Um módulo do portal falhou ao concluir esta operação, e ela foi desfeita: nada foi alterado.',
  es: 'Un módulo del portal falló al completar esta operación y se deshizo: no se cambió nada.',
  en: 'A module of the portal failed to complete this operation, and it was undone: nothing was changed.',
} as const;

describe('a plugin hook that fails', () => {
  let portal: TestPortal;
  const lines: string[] = [];
  const accountIds: number[] = [];

  before(async () => {
    const logger = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }));
    portal = await startPortal({}, { builtInPluginsDir: path.resolve(import.meta.dirname, '../fixtures/failing-plugins'), logger });
  });
  beforeEach(() => {
    failingFor.clear();
    deadlockOnceFor.clear();
    lines.length = 0;
  });
  after(async () => {
    failingFor.clear();
    await expectCountersExact(portal.db, accountIds);
  });

  /** Everything the failed act could have changed in the account. */
  const snapshot = async (s: Admin) => ({
    contacts: await contactsOf(portal.db, s.accountId),
    counters: await countersOf(portal.db, s.accountId),
    owner: (await portal.db('accounts').where({ id: s.accountId }).first('owner_contact_id')).owner_contact_id,
    audit: (await portal.db('audit_events').where({ account_id: s.accountId }).orderBy('id').select('action')).map((e) => e.action),
    outbox: (await portal.db('mail_outbox').where({ account_id: s.accountId }).select('id')).length,
  });

  /** The failure as the operator sees it: one error line naming the plugin and the hook, with the cause. */
  const loggedFailure = (hook: string) => {
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'plugin hook failed: the change was rolled back');
    expect(entries, lines.join('\n')).to.have.length(1);
    expect(entries[0]).to.include({ plugin: FAILING_PLUGIN_ID, hook });
    expect((entries[0]!.err as { type: string; message: string })).to.include({ type: 'TypeError' });
    expect((entries[0]!.err as { message: string }).message).to.match(/settings/);
  };

  /** The error page: 500, the message in words in the person's language, no stack. */
  const expectErrorPage = (res: { status: number; text: string }, locale: keyof typeof MESSAGES) => {
    expect(res.status).to.equal(500);
    const text = decode(res.text);
    expect(text).to.contain(MESSAGES[locale]);
    expect(text).not.to.match(/TypeError|at .*\.ts:\d+|settings/);
  };

  const cases: { hook: string; locale: keyof typeof MESSAGES; act: (s: Admin, contactId: number) => Promise<{ status: number; text: string; headers: Record<string, string> }> }[] = [
    { hook: 'contact.deleting', locale: 'pt-BR', act: (s, id) => postForm(s, `/${id}/delete`) },
    { hook: 'contact.deactivated', locale: 'es', act: (s, id) => postForm(s, `/${id}/deactivate`).set('Accept-Language', 'es') },
    {
      hook: 'owner.transferred', locale: 'en',
      act: (s, id) => s.agent.post(`/accounts/${s.accountId}/owner`).set('Accept-Language', 'en').type('form').send({ _csrf: s.csrf, receiver: String(id), formerProfile: 'member' }),
    },
  ];

  for (const { hook, locale, act } of cases) {
    it(`${hook}: nothing changes, the page says so in ${locale}, the log names the plugin, and the next request is served`, async () => {
      const s = await newAdmin(portal, accountIds);
      const bia = await addMember(portal.db, s.accountId, { name: 'Bia Afetada' });
      const caio = await addMember(portal.db, s.accountId, { name: 'Caio Depois' });
      failingFor.add(bia.contactId);
      const before = await snapshot(s);

      expectErrorPage(await act(s, bia.contactId), locale);
      expect(await snapshot(s)).to.deep.equal(before);
      expect(before.audit).not.to.include(`${FAILING_PLUGIN_ID}.noted`);
      loggedFailure(hook);

      // The same person goes on: a page, and the same act on someone the plugin does not fail for.
      const list = await s.agent.get(s.base);
      expect(list.status).to.equal(200);
      expect(decode(list.text)).to.contain('Bia Afetada');
      const next = await act(s, caio.contactId);
      expect(next.status).to.equal(303);
      expect(flashes((await s.agent.get(next.headers.location!)).text)).to.have.length.greaterThan(0);
      const after = await snapshot(s);
      expect(after.audit.length).to.be.greaterThan(before.audit.length);
      expect(after.audit).not.to.include(`${FAILING_PLUGIN_ID}.noted`);
    });
  }

  it('a deadlock met inside a hook is not the plugin\'s failure: the whole transaction runs again and the change is made once', async () => {
    const s = await newAdmin(portal, accountIds);
    const eva = await addMember(portal.db, s.accountId, { name: 'Eva Reexecutada' });
    deadlockOnceFor.add(eva.contactId);
    const res = await postForm(s, `/${eva.contactId}/deactivate`);
    expect(res.status).to.equal(303);
    expect(deadlockOnceFor.has(eva.contactId), 'the hook met the deadlock').to.equal(false);
    expect((await portal.db('contacts').where({ id: eva.contactId }).first('status')).status).to.equal('deactivated');
    expect((await auditEventsOf(portal.db, s.accountId, eva.contactId)).filter((e) => e.action === 'contact.deactivated')).to.have.length(1);
    expect(lines.filter((l) => l.includes('plugin hook failed'))).to.deep.equal([]);
  });
});
