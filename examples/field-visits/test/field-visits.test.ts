/**
 * What a partner's own test of this plugin looks like: `portal/testing` starts a whole portal
 * with only this plugin, on a temporary SQLite database. Run from the plugin's folder with
 * `node --import tsx --test test/*.test.ts` (tsx is the TypeScript loader); the portal's suite
 * runs it the same way (test/run.ts), and `tsc -p .` type-checks it with the plugin.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type PluginTestApp, type TestAccount } from 'portal/testing';

const PLUGIN = path.resolve(import.meta.dirname, '..');

describe('field-visits, tested the way a partner tests it', () => {
  let portal: PluginTestApp;
  let account: TestAccount;
  let base: string;

  before(async () => {
    portal = await createTestApp({ plugins: [PLUGIN] });
    account = await portal.account();
    base = `${account.url}/p/field-visits`;
  });
  after(() => portal?.close());

  it('a member sees the visits but may not schedule one (403)', async () => {
    const member = await portal.signIn(await portal.person(account, { profile: 'member' }));
    assert.equal((await member.get(base)).status, 200);
    assert.equal((await member.post(base, { site: 'Matriz', date: '2026-12-01' })).status, 403);
  });

  it('a holder of field-visits.schedule schedules one, and the audit trail names who did it', async () => {
    const scheduler = await portal.person(account, { profile: 'custom', flags: ['field-visits.view', 'field-visits.schedule'], name: 'Sérgio Agendador' });
    const res = await (await portal.signIn(scheduler)).post(base, { site: 'Filial Campinas', date: '2026-12-09' });
    assert.equal(res.status, 303);
    const visit = await portal.db('field_visits').where({ account_id: account.id, site: 'Filial Campinas' }).first();
    assert.ok(visit, 'the visit is saved');
    const event = await portal.db('audit_events').where({ account_id: account.id, action: 'field-visits.scheduled' }).first();
    assert.equal(event.actor_contact_id, scheduler.contactId);
  });

  it('every route answers each profile as its declared flag says', async () => {
    assert.deepEqual(await portal.checkGuards(), []);
  });
});
