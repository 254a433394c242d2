import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import { z } from 'zod';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { Forbidden, NotFound, ValidationFailed } from '../errors';
import type { Registry } from '../plugins/registry';
import { listOf, optionalText, parseInput, text } from '../validation';
import { PermissionRepository } from './permissions.repository';
import { canGrant, canLift } from './policy';
import { inTransaction } from '../db/transaction';

const groupSchema = z.object({ name: text(100), description: optionalText(255) });

/**
 * Groups grant flags to their members; an editor can only put in a group flags they hold. Every
 * write locks the account row first, as the permission editor's save does: one lock order for the
 * rows they share (groups, flags, members, the audit chain), so on MySQL they wait, not deadlock.
 */
export class GroupService {
  private readonly repo = new PermissionRepository();
  private readonly accounts: AccountRepository;

  constructor(private readonly db: Knex, private readonly registry: Registry, private readonly audit: AuditService) {
    this.accounts = new AccountRepository(db);
  }

  private async lockAccount(trx: Knex.Transaction, accountId: number): Promise<void> {
    if (!(await this.accounts.lock(trx, accountId))) throw new NotFound();
  }

  async list(accountId: number) {
    const [groups, flags, counts] = await Promise.all([
      this.repo.groupsOfAccount(this.db, accountId),
      this.repo.groupFlags(this.db, accountId),
      this.repo.memberCounts(this.db, accountId),
    ]);
    return groups.map((g) => ({ ...g, flags: (flags.get(g.id) ?? []).filter((k) => this.registry.keys.has(k)), members: counts.get(g.id) ?? 0 }));
  }

  async get(accountId: number, id: number) {
    const group = await this.repo.findGroup(this.db, accountId, id);
    if (!group) throw new NotFound();
    const flags = (await this.repo.groupFlags(this.db, accountId)).get(id) ?? [];
    return { ...group, flags };
  }

  async save(editor: Acting, id: number | null, input: Record<string, unknown>): Promise<number> {
    const data = parseInput(groupSchema, input);
    const requested = [...new Set(listOf(input.flags))];
    const unknown = requested.filter((k) => !this.registry.keys.has(k));
    if (unknown.length) throw new ValidationFailed({ flags: { key: 'permissions.errors.unknownFlag', params: { keys: unknown.join(', ') } } });
    return inTransaction(this.db, async (trx) => {
      await this.lockAccount(trx, editor.accountId);
      const existing = id === null ? undefined : await this.repo.findGroup(trx, editor.accountId, id);
      if (id !== null && !existing) throw new NotFound();
      const sameName = await this.repo.groupIdByName(trx, editor.accountId, data.name);
      if (sameName && sameName !== id) throw new ValidationFailed({ name: { key: 'permissions.errors.groupNameTaken' } });
      const oldFlags = id === null ? [] : ((await this.repo.groupFlags(trx, editor.accountId)).get(id) ?? []);
      const added = requested.filter((k) => !oldFlags.includes(k));
      if (added.some((k) => !canGrant(this.registry, editor.flags, k))) throw new Forbidden('permissions.errors.cannotGrant');
      if (oldFlags.some((k) => !requested.includes(k) && !canLift(this.registry, editor.flags, k))) throw new Forbidden('permissions.errors.cannotLift');
      const kept = oldFlags.filter((k) => !this.registry.keys.has(k)); // switched-off plugins keep their grants
      const groupId = id ?? (await this.repo.createGroup(trx, editor.accountId, data.name, data.description ?? null));
      if (id !== null) await this.repo.updateGroup(trx, editor.accountId, id, data.name, data.description ?? null);
      await this.repo.setGroupFlags(trx, groupId, [...requested, ...kept]);
      await this.audit.record(trx, editor.actor, {
        accountId: editor.accountId, action: id === null ? 'group.created' : 'group.updated', target: { type: 'group', id: groupId },
        details: { before: existing ? { name: existing.name, flags: oldFlags } : undefined, after: { name: data.name, flags: requested }, added, removed: oldFlags.filter((k) => !requested.includes(k)) },
      });
      return groupId;
    });
  }

  async remove(editor: Acting, id: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.lockAccount(trx, editor.accountId);
      const group = await this.repo.findGroup(trx, editor.accountId, id);
      if (!group) throw new NotFound();
      const flags = (await this.repo.groupFlags(trx, editor.accountId)).get(id) ?? [];
      if (flags.some((k) => !canLift(this.registry, editor.flags, k))) throw new Forbidden('permissions.errors.cannotLift');
      await this.repo.deleteGroup(trx, editor.accountId, id);
      await this.audit.record(trx, editor.actor, { accountId: editor.accountId, action: 'group.deleted', target: { type: 'group', id }, details: { before: { name: group.name, flags } } });
    });
  }
}
