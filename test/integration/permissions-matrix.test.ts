/**
 * The route matrix: every registered route × every built-in profile (and Personalizado with no
 * flag), allowed or denied exactly as declared. Plugin routes come from the registry, so a new
 * plugin route is covered without touching this file (the partner fixture and the guide's example
 * prove it: their routes are in the matrix because PORTAL_PLUGINS names them). Core routes come from a table below.
 * Then: the primary administrator holds every route whatever their profile says, and nobody
 * reaches another account's records, by its URL or by an id of it in their own account's URL.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { BUILT_IN_PROFILES } from '../../server/plugins/contract';
import { loadRegistry } from '../../server/plugins/loader';
import { mountPath } from '../../server/plugins/registry';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, startPortal, type Agent, type TestPortal } from '../support/portal';
import { decode, validContact } from './helpers/contacts';
import { formBody, insertEnvironment, insertGroup } from './helpers/permissions';

const PARTNER_DIR = path.resolve(import.meta.dirname, '../fixtures/partner-plugin');
// The guide's example: a partner plugin with record ids in its URLs (`:visitId`).
const EXAMPLE_DIR = path.resolve(import.meta.dirname, '../../examples/field-visits');
const PARTNER_PLUGINS = [PARTNER_DIR, EXAMPLE_DIR];
const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const MISSING_ID = 999999;

interface RouteCase {
  method: 'get' | 'post';
  /** Below /accounts/:accountId; `:name` params are filled from the account's records. */
  path: string;
  /** null: any active contact of the account. */
  requires: string | null;
  /** Who declared it. */
  owner: string;
  /** Fill the record params with an id that does not exist (destructive actions). */
  missingIds?: boolean;
}

/** Core's guarded routes: contacts, their permissions and groups need contacts.manage. */
const CORE_ROUTES: RouteCase[] = (
  [
    ['get', '/contacts'],
    ['get', '/contacts/new'],
    ['get', '/contacts/:contactId'],
    ['get', '/contacts/:contactId/edit'],
    ['get', '/contacts/:contactId/delete'],
    ['get', '/contacts/:contactId/permissions'],
    ['get', '/contacts/:contactId/permissions/preview?profile=member'],
    ['get', '/groups'],
    ['get', '/groups/new'],
    ['get', '/groups/:groupId'],
    ['post', '/contacts'],
    ['post', '/contacts/validate'],
    ['post', '/contacts/form'],
    ['post', '/contacts/:contactId/edit'],
    ['post', '/contacts/:contactId/deactivate', true],
    ['post', '/contacts/:contactId/reactivate', true],
    ['post', '/contacts/:contactId/delete', true],
    ['post', '/contacts/:contactId/permissions'],
    ['post', '/groups'],
    ['post', '/groups/:groupId'],
    ['post', '/groups/:groupId/delete', true],
  ] as const
).map(([method, p, missingIds]) => ({ method, path: p, requires: 'contacts.manage', owner: 'core', missingIds: missingIds === true }));

// The registry the portal under test builds (built-in plugins plus the partner's), read before
// the tests are declared so that each plugin route gets its own test.
const registry = await loadRegistry({ extra: PARTNER_PLUGINS });
const PLUGIN_ROUTES: RouteCase[] = registry.plugins.flatMap((p) =>
  (p.routes ?? []).map((r) => ({ method: r.method, path: mountPath(p.id, r.path), requires: r.requires, owner: p.id })),
);
const ROUTES: RouteCase[] = [{ method: 'get', path: '/', requires: null, owner: 'core' }, ...CORE_ROUTES, ...PLUGIN_ROUTES];
const SUBJECTS = [...BUILT_IN_PROFILES, 'custom'] as const;

interface World {
  accountId: number;
  ownerEmail: string;
  ownerContactId: number;
  targetContactId: number;
  groupId: number;
  environmentId: number;
  visitId: number;
  ticketId: number;
  attachmentId: number;
}

/** An account with one record of each kind a route can name. */
async function makeWorld(portal: TestPortal): Promise<World> {
  const account = await createAccount(portal.db);
  const target = await addMember(portal.db, account.accountId, { name: 'Teresa Alvo' });
  const groupId = await insertGroup(portal.db, account.accountId, 'Equipe', ['support.portal'], [target.contactId]);
  const environmentId = await insertEnvironment(portal.db, account.accountId);
  const [visitId] = await portal.db('field_visits').insert({
    account_id: account.accountId, requested_by_contact_id: target.contactId, site: 'Matriz', scheduled_for: '2026-12-07', status: 'scheduled', created_at: new Date(),
  });
  // A company ticket (not BPO) of another contact: every holder of support.portal sees it.
  const now = new Date();
  const [ticketId] = await portal.db('support_tickets').insert({
    account_id: account.accountId, owner_contact_id: target.contactId, opened_by_contact_id: target.contactId, subject: 'Impressora', description: 'Não imprime.',
    category: 'incident', priority: 'low', status: 'open', bpo: false, created_at: now, updated_at: now,
  });
  // Its attachment, with the file where the support plugin keeps it.
  const storedName = `matrix-${account.accountId}`;
  const filesDir = path.join(portal.config.dataDir, 'plugins', 'support');
  mkdirSync(filesDir, { recursive: true });
  writeFileSync(path.join(filesDir, storedName), 'ok');
  const [attachmentId] = await portal.db('support_ticket_attachments').insert({
    ticket_id: ticketId, stored_name: storedName, original_name: 'nota.txt', size: 2, content_type: 'text/plain', uploaded_by_contact_id: target.contactId, created_at: now,
  });
  return {
    accountId: account.accountId, ownerEmail: account.admin.email, ownerContactId: account.admin.contactId, targetContactId: target.contactId,
    groupId, environmentId, visitId: Number(visitId), ticketId: Number(ticketId), attachmentId: Number(attachmentId),
  };
}

/** The route's URL in `world` (ids of records of the URL's account unless told otherwise). */
function urlOf(route: RouteCase, world: World, ids: Partial<Record<string, number>> = {}): string {
  const known: Record<string, number> = { contactId: world.targetContactId, groupId: world.groupId, environmentId: world.environmentId, visitId: world.visitId, ticketId: world.ticketId, attachmentId: world.attachmentId };
  const filled = route.path.replace(/:(\w+)/g, (_, name: string) => String(ids[name] ?? (route.missingIds ? MISSING_ID : (known[name] ?? MISSING_ID))));
  return `/accounts/${world.accountId}${filled === '/' ? '' : filled}`;
}

interface Session {
  agent: Agent;
  csrf: string;
}

const request = (s: Session, route: RouteCase, url: string) =>
  route.method === 'get' ? s.agent.get(url) : s.agent.post(url).type('form').send(formBody({ _csrf: s.csrf }));

const label = (r: RouteCase) => `${r.method.toUpperCase()} ${r.path} [${r.requires ?? 'any contact'}; ${r.owner}]`;

describe('route matrix: every registered route × every profile', () => {
  let portal: TestPortal;
  let world: World;
  const sessions = new Map<string, Session>();

  before(async () => {
    portal = await startPortal({ PORTAL_PLUGINS: PARTNER_PLUGINS.join(',') });
    world = await makeWorld(portal);
    for (const profile of SUBJECTS) {
      const m = await addMember(portal.db, world.accountId, { profile, name: `Perfil ${profile}` });
      sessions.set(profile, await loggedIn(portal, m.email, PASSWORD));
    }
  });

  it("covers the routes the running portal mounted: the same plugins and the same declared routes", () => {
    const running = portal.registry.plugins.flatMap((p) => (p.routes ?? []).map((r) => `${r.method} ${mountPath(p.id, r.path)} ${r.requires}`));
    expect(PLUGIN_ROUTES.map((r) => `${r.method} ${r.path} ${r.requires}`)).to.deep.equal(running);
    expect(PLUGIN_ROUTES.map((r) => r.owner)).to.include.members(['cloud', 'education', 'partner-reports', 'field-visits']);
    // Every flag a route needs exists, and every built-in profile is known to the registry.
    for (const r of ROUTES) if (r.requires) expect(portal.registry.keys.has(r.requires), r.requires).to.equal(true);
  });

  for (const profile of SUBJECTS) {
    describe(`profile ${profile}`, () => {
      for (const route of ROUTES) {
        const allowed = route.requires === null || registry.flagsOfProfile(profile).has(route.requires);
        // A narrowing flag of the route's plugin (support's "only your own tickets") may hide the
        // world's record from this profile: past the guard, its page is then the plugin's 404.
        const narrowed = /:\w+/.test(route.path) && registry.permissions.some((p) => p.narrows && p.plugin === route.owner && registry.flagsOfProfile(profile).has(p.key));
        it(`${label(route)}: ${allowed ? 'allowed' : 'denied (403)'}`, async () => {
          const res = await request(sessions.get(profile)!, route, urlOf(route, world));
          if (!allowed) {
            expect(res.status, `${route.method} ${urlOf(route, world)}`).to.equal(403);
            expect(decode(res.text)).to.include(FORBIDDEN); // the guard, not the CSRF check
          } else if (route.method === 'get') {
            if (narrowed) expect(res.status, `${route.method} ${urlOf(route, world)}`).to.be.oneOf([200, 404]);
            else expect(res.status, `${route.method} ${urlOf(route, world)}`).to.equal(200);
          } else {
            expect(res.status, `${route.method} ${urlOf(route, world)}`).to.be.oneOf([200, 303, 404, 409, 422]);
          }
        });
      }
    });
  }

  it('the expectations follow the declarations: administrator everything, Personalizado without flags nothing', () => {
    const guarded = ROUTES.filter((r) => r.requires);
    expect(guarded.every((r) => registry.flagsOfProfile('administrator').has(r.requires!))).to.equal(true);
    expect(guarded.some((r) => registry.flagsOfProfile('custom').has(r.requires!))).to.equal(false);
    // Some route is allowed to a member and denied to an observer, so the matrix tells profiles apart.
    expect(guarded.some((r) => registry.flagsOfProfile('member').has(r.requires!) && !registry.flagsOfProfile('observer').has(r.requires!))).to.equal(true);
  });
});

describe('route matrix: the primary administrator holds every route, whatever the profile column says', () => {
  let portal: TestPortal;
  let world: World;
  let owner: Session;

  before(async () => {
    portal = await startPortal({ PORTAL_PLUGINS: PARTNER_PLUGINS.join(',') });
    world = await makeWorld(portal);
    await portal.db('contacts').where({ id: world.ownerContactId }).update({ profile: 'observer' });
    owner = await loggedIn(portal, world.ownerEmail, PASSWORD);
  });

  for (const route of ROUTES) {
    it(`${label(route)}: allowed to the primary administrator with profile "observer"`, async () => {
      const res = await request(owner, route, urlOf(route, world));
      if (route.method === 'get') expect(res.status, urlOf(route, world)).to.equal(200);
      else expect(res.status, urlOf(route, world)).to.be.oneOf([200, 303, 404, 409, 422]);
    });
  }
});

describe('route matrix: another account', () => {
  let portal: TestPortal;
  let a: World;
  let b: World;
  let adminA: Session;

  before(async () => {
    portal = await startPortal({ PORTAL_PLUGINS: PARTNER_PLUGINS.join(',') });
    a = await makeWorld(portal);
    b = await makeWorld(portal);
    adminA = await loggedIn(portal, a.ownerEmail, PASSWORD);
  });

  for (const route of ROUTES) {
    it(`${label(route)} of account B answers 404 to account A's primary administrator`, async () => {
      const res = await request(adminA, route, urlOf(route, b));
      expect(res.status).to.equal(404);
    });
  }

  // B's record ids in A's URLs: the lookups are scoped by account.
  const WITH_IDS = ROUTES.filter((r) => /:(contactId|groupId|environmentId|visitId|ticketId|attachmentId)/.test(r.path) && !r.missingIds);
  for (const route of WITH_IDS) {
    it(`${label(route)} with an id of account B in account A's URL answers 404`, async () => {
      const ids = { contactId: b.targetContactId, groupId: b.groupId, environmentId: b.environmentId, visitId: b.visitId, ticketId: b.ticketId, attachmentId: b.attachmentId };
      const url = urlOf(route, a, ids);
      // A body each action would accept, so that only the foreign id can refuse it.
      const body = route.path.endsWith('/edit') ? validContact({ name: 'Roubado' }) : { profile: 'administrator', name: 'Roubado', flags: ['support.portal'] };
      const res = route.method === 'get' ? await adminA.agent.get(url) : await adminA.agent.post(url).type('form').send(formBody({ _csrf: adminA.csrf, ...body }));
      expect(res.status, url).to.equal(404);
    });
  }

  it("leaves account B's records as they were", async () => {
    const contact = await portal.db('contacts').where({ id: b.targetContactId }).first('name', 'profile', 'status');
    expect(contact).to.deep.equal({ name: 'Teresa Alvo', profile: 'member', status: 'active' });
    expect((await portal.db('groups').where({ id: b.groupId }).first('name')).name).to.equal('Equipe');
    expect((await portal.db('cloud_environments').where({ id: b.environmentId }).first('state')).state).to.equal('running');
    expect((await portal.db('field_visits').where({ id: b.visitId }).first('status')).status).to.equal('scheduled');
    expect(await portal.db('support_tickets').where({ id: b.ticketId }).first('owner_contact_id', 'status')).to.deep.equal({ owner_contact_id: b.targetContactId, status: 'open' });
    expect(await portal.db('group_members').where({ group_id: b.groupId }).select('contact_id')).to.have.length(1);
  });

  it("refuses to put a contact of account A in a group of account B (422, nothing saved)", async () => {
    const res = await adminA.agent
      .post(`/accounts/${a.accountId}/contacts/${a.targetContactId}/permissions`)
      .type('form')
      .send(formBody({ _csrf: adminA.csrf, profile: 'member', groups: [b.groupId] }));
    expect(res.status).to.equal(422);
    expect(await portal.db('group_members').where({ contact_id: a.targetContactId, group_id: b.groupId })).to.have.length(0);
  });
});
