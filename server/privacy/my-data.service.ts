import { inTransaction } from '../db/transaction';
import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { readableDetails } from '../audit/event-format';
import { AuditPersonalRepository } from '../audit/personal-data.repository';
import { ContactRepository } from '../contacts/contacts.repository';
import { toDate } from '../db/knex';
import { InvitationRepository } from '../invitations/invitations.repository';
import { PermissionRepository } from '../permissions/permissions.repository';
import { UserRepository } from '../users/users.repository';
import type { PluginHooks } from '../plugins/registry';

/** Events in one download: a person's own history, newest first; older ones are named as left out. */
const EVENT_LIMIT = 5000;

/**
 * "Meus dados" (LGPD, right of access): what the portal holds about the signed-in person, read by
 * their own login only (no id is taken from the request). Events they are the subject of come with
 * their details; events they only did come without details, which are about other people.
 */
export class MyDataService {
  private readonly users: UserRepository;
  private readonly accounts: AccountRepository;
  private readonly contacts = new ContactRepository();
  private readonly invitations = new InvitationRepository();
  private readonly permissions = new PermissionRepository();
  private readonly trail = new AuditPersonalRepository();

  constructor(private readonly db: Knex, private readonly audit: AuditService, private readonly hooks: PluginHooks) {
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  async export(me: Me, now = new Date()) {
    const login = await this.users.exportOf(me.userId);
    const contacts = await this.contacts.ofUser(this.db, me.userId);
    const contactIds = contacts.map((c) => Number(c.id));
    const companies: Record<string, unknown>[] = [];
    for (const c of contacts) {
      const [account, explicit, groupIds, groups] = await Promise.all([
        this.accounts.findById(c.account_id),
        this.permissions.explicitOf(this.db, c.id),
        this.permissions.groupIdsOfContact(this.db, c.id),
        this.permissions.groupsOfAccount(this.db, c.account_id),
      ]);
      const groupFlags = await this.permissions.groupFlags(this.db, c.account_id);
      companies.push({
        company: { id: Number(c.account_id), name: account?.name ?? null, primaryAdministrator: account?.owner_contact_id === c.id },
        contact: { ...c, consulting_authorized: Boolean(c.consulting_authorized), created_at: toDate(c.created_at), updated_at: toDate(c.updated_at), deactivated_at: toDate(c.deactivated_at) },
        permissions: {
          profile: c.profile,
          explicit,
          groups: groups.filter((g) => groupIds.includes(Number(g.id))).map((g) => ({ name: g.name, flags: groupFlags.get(Number(g.id)) ?? [] })),
        },
      });
    }
    const invitations = (await this.invitations.ofContacts(this.db, contactIds)).map((i) => ({
      ...i, expires_at: toDate(i.expires_at), accepted_at: toDate(i.accepted_at), confirmed_at: toDate(i.confirmed_at), revoked_at: toDate(i.revoked_at), created_at: toDate(i.created_at),
    }));
    const rows = await this.trail.ofPerson(this.db, me.userId, contactIds, EVENT_LIMIT + 1);
    const mine = new Set(contactIds.map(String));
    const events = rows.slice(0, EVENT_LIMIT).map((e) => {
      const subject = (e.target_type === 'contact' && mine.has(String(e.target_id))) || (e.target_type === 'user' && String(e.target_id) === String(me.userId));
      return {
        id: Number(e.id), companyId: e.account_id === null ? null : Number(e.account_id), action: e.action, target: e.target_type ? { type: e.target_type, id: e.target_id } : null,
        at: toDate(e.created_at), byYou: Number(e.actor_user_id) === me.userId, ip: Number(e.actor_user_id) === me.userId ? e.ip : null,
        ...(subject ? { details: readableDetails(e) } : {}),
      };
    });
    await inTransaction(this.db, async (trx) => {
      // What plugins keep of each of the person's contacts (tickets…), under each plugin's id.
      for (const [i, c] of contacts.entries()) {
        const plugins: Record<string, unknown> = {};
        await this.hooks.run('contact.exporting', { accountId: Number(c.account_id), contactId: Number(c.id), add: (pluginId, data) => void (plugins[pluginId] = data) }, trx, me);
        Object.assign(companies[i]!, { plugins });
      }
      await this.audit.record(trx, me, { accountId: null, action: 'me.data_exported', target: { type: 'user', id: me.userId }, details: { companies: companies.length, events: events.length } });
    });
    return { exportedAt: now, login, companies, invitations, auditEvents: events, auditEventsLeftOut: rows.length > EVENT_LIMIT };
  }
}
