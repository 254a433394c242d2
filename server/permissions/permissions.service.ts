import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { ContactRepository } from '../contacts/contacts.repository';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors';
import { listOf } from '../validation';
import { BUILT_IN_PROFILES } from '../plugins/contract';
import type { Registry, RegisteredPermission } from '../plugins/registry';
import { can, canGrant, canLift, effectivePermissions } from './policy';
import { PermissionRepository } from './permissions.repository';
import { inTransaction } from '../db/transaction';

export const PROFILES = [...BUILT_IN_PROFILES, 'custom'] as const;
export type Profile = (typeof PROFILES)[number];

/** Where a flag of a contact comes from, for the editor. */
export interface FlagSource {
  profile: boolean;
  explicit: boolean;
  groups: string[];
}

const sorted = (s: Iterable<string>) => [...s].sort();

/**
 * Profiles, explicit grants and groups: the "Permissões de Acesso" editor's rules. The effective set
 * is profile ∪ explicit ∪ groups (server/permissions/policy.ts decides from it on every request).
 */
export class PermissionService {
  private readonly repo = new PermissionRepository();
  private readonly contacts = new ContactRepository();
  private readonly accounts: AccountRepository;

  constructor(private readonly db: Knex, private readonly registry: Registry, private readonly audit: AuditService) {
    this.accounts = new AccountRepository(db);
  }

  /** The registry's flags grouped by module (plugin), in declaration order. */
  modules(): { plugin: string; name: string; flags: RegisteredPermission[] }[] {
    return this.registry.plugins
      .filter((p) => p.permissions.length)
      .map((p) => ({ plugin: p.id, name: p.name, flags: this.registry.permissions.filter((perm) => perm.plugin === p.id) }));
  }

  profileFlags(profile: string): ReadonlySet<string> {
    return profile === 'custom' ? new Set() : this.registry.flagsOfProfile(profile);
  }

  /** `account`: the request's own (its primary administrator was read with the membership). */
  async editorData(account: { id: number; ownerContactId: number | null }, contactId: number) {
    const accountId = account.id;
    const contact = await this.contacts.find(this.db, accountId, contactId);
    if (!contact) throw new NotFound();
    const [explicit, memberOf, groups, groupFlags] = await Promise.all([
      this.repo.explicitOf(this.db, contactId),
      this.repo.groupIdsOfContact(this.db, contactId),
      this.repo.groupsOfAccount(this.db, accountId),
      this.repo.groupFlags(this.db, accountId),
    ]);
    const isOwner = account.ownerContactId === contactId;
    const profileSet = this.profileFlags(contact.profile);
    const sources = new Map<string, FlagSource>();
    for (const perm of this.registry.permissions) {
      sources.set(perm.key, {
        profile: isOwner || profileSet.has(perm.key),
        explicit: explicit.includes(perm.key),
        groups: groups.filter((g) => memberOf.includes(g.id) && (groupFlags.get(g.id) ?? []).includes(perm.key)).map((g) => g.name),
      });
    }
    return { contact, isOwner, explicit: new Set(explicit), memberOf: new Set(memberOf), groups, groupFlags, sources, modules: this.modules() };
  }

  /**
   * Saves profile, explicit flags (only for Personalizado) and groups. Refused when the result
   * would give the contact a flag the editor does not hold. Grants of switched-off plugins stay.
   */
  async save(editor: Acting, contactId: number, input: Record<string, unknown>): Promise<{ added: string[]; removed: string[] }> {
    const profile = String(input.profile ?? '');
    if (!(PROFILES as readonly string[]).includes(profile)) throw new ValidationFailed({ profile: { key: 'permissions.errors.profile' } });
    const requested = listOf(input.flags);
    const unknown = requested.filter((k) => !this.registry.keys.has(k));
    if (unknown.length) throw new ValidationFailed({ flags: { key: 'permissions.errors.unknownFlag', params: { keys: unknown.join(', ') } } });
    const groupIds = listOf(input.groups).map(Number);

    return inTransaction(this.db, async (trx) => {
      const account = await this.accounts.lock(trx, editor.accountId);
      const contact = await this.contacts.lock(trx, editor.accountId, contactId);
      if (!account || !contact) throw new NotFound();
      if (account.owner_contact_id === contactId) throw new Conflict('permissions.errors.owner');
      // A pending contact joins with exactly the permissions it was invited with.
      if (contact.status === 'pending') throw new Conflict('contacts.errors.pending');
      const accountGroups = await this.repo.groupsOfAccount(trx, editor.accountId);
      if (groupIds.some((id) => !accountGroups.some((g) => g.id === id))) throw new ValidationFailed({ groups: { key: 'permissions.errors.group' } });

      const before = effectivePermissions(this.registry, { profile: contact.profile, isOwner: false, extraFlags: await this.repo.extraFlags(trx, contactId) });
      const oldExplicit = await this.repo.explicitOf(trx, contactId);
      const kept = oldExplicit.filter((k) => !this.registry.keys.has(k)); // switched-off plugins
      const explicit = profile === 'custom' ? [...new Set(requested)] : [];
      await this.repo.setExplicit(trx, contactId, [...explicit, ...kept]);
      await this.repo.setContactGroups(trx, contactId, [...new Set(groupIds)]);
      await this.contacts.update(trx, editor.accountId, contactId, { profile });
      const after = effectivePermissions(this.registry, { profile, isOwner: false, extraFlags: await this.repo.extraFlags(trx, contactId) });

      const added = sorted([...after].filter((k) => !before.has(k)));
      const removed = sorted([...before].filter((k) => !after.has(k)));
      const beyond = added.filter((k) => !canGrant(this.registry, editor.flags, k));
      if (beyond.length) throw new Forbidden('permissions.errors.cannotGrant');
      if (removed.some((k) => !canLift(this.registry, editor.flags, k))) throw new Forbidden('permissions.errors.cannotLift');
      await this.audit.record(trx, editor.actor, {
        accountId: editor.accountId, action: 'contact.permissions_changed', target: { type: 'contact', id: contactId },
        details: { before: { profile: contact.profile }, after: { profile, groups: groupIds }, added, removed },
      });
      return { added, removed };
    });
  }

  /**
   * The contact's effective flags and the decision on them, for one request: what the account
   * context hands every guard, menu and view. The primary administrator holds every flag, so their
   * grants are not read. `q`: a caller's transaction (a plugin asking about another contact).
   */
  async accessOf(contact: { contactId: number; profile: string; isOwner: boolean }, q: Knex | Knex.Transaction = this.db): Promise<{ permissions: ReadonlySet<string>; can(key: string): boolean }> {
    const extraFlags = contact.isOwner ? [] : await this.repo.extraFlags(q, contact.contactId);
    return this.accessFrom({ ...contact, extraFlags });
  }

  /** The same from grants already read (the account context's membership statement brings them). */
  accessFrom(contact: { profile: string; isOwner: boolean; extraFlags: readonly string[] }): { permissions: ReadonlySet<string>; can(key: string): boolean } {
    const extraFlags = contact.isOwner ? [] : contact.extraFlags;
    const permissions = effectivePermissions(this.registry, { profile: contact.profile, isOwner: contact.isOwner, extraFlags });
    return { permissions, can: (key) => can(permissions, key) };
  }

  /** Active contacts of the account who hold `key` (owner, profile, explicit or group), e.g. a plugin's managers. */
  async holders(accountId: number, key: string): Promise<{ id: number; name: string; email: string }[]> {
    const account = await this.accounts.findById(accountId);
    const profiles = PROFILES.filter((p) => this.profileFlags(p).has(key));
    return this.repo.activeContactsHolding(this.db, accountId, key, profiles, account?.owner_contact_id ?? null);
  }
}
