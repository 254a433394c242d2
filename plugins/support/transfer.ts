import type { Request } from 'express';
import type { Knex } from 'knex';
import { HookRefusal, type ConfirmationAsker, type HookContext, type HookEvents, type PluginContext } from 'portal/plugin';
import { addEntry, moveIfOwnedBy, openTicketsOwnedBy, ticketsByIds, visibleIds, type Visibility } from './repository';
import { BPO_FLAG, PORTAL_FLAG, RESTRICTED_FLAG } from './visibility';

export interface Person {
  id: number;
  name: string;
}

/** The confirmation field that names who receives a leaving contact's open tickets. */
export const RECEIVER_FIELD = 'support.receiver';

/**
 * The receiver could not see some of the tickets, so they are not given to them: `reason` says
 * why (restricted to their own tickets, or without the BPO flag), `tickets` which ones.
 */
export class ReceiverCannotSee extends Error {
  constructor(
    readonly reason: 'restricted' | 'bpo',
    readonly tickets: { id: number; number: number; subject: string }[],
  ) {
    super(`receiver cannot see ${tickets.length} ticket(s): ${reason}`);
  }
}

/**
 * Moves the tickets that `from` still owns and are open, each with a history entry; the others
 * (moved or closed meanwhile) are answered as skipped, never overwritten. With `rules` (the
 * transfer page), only tickets the actor sees are moved or named, and a receiver who would not see
 * one of them as it stands throws `ReceiverCannotSee` (the caller's transaction moves nothing).
 * Without (a leaving contact's hand-over), core has already accepted the receiver.
 */
export async function transferTickets(
  trx: Knex.Transaction,
  accountId: number,
  ticketIds: number[],
  from: Person,
  to: Person,
  actor: Person | null,
  rules?: { actor: Visibility; receiver: Visibility },
): Promise<{ moved: number[]; skipped: { id: number; number: number; subject: string }[] }> {
  if (rules) {
    const wanted = new Set(ticketIds);
    const asked = (await openTicketsOwnedBy(trx, accountId, from.id, rules.actor)).filter((t) => wanted.has(t.id));
    const seen = new Set(await visibleIds(trx, accountId, asked.map((t) => t.id), rules.receiver));
    const hidden = asked.filter((t) => !seen.has(t.id)).map((t) => ({ id: t.id, number: t.number, subject: t.subject }));
    if (hidden.length) throw new ReceiverCannotSee(rules.receiver.kind === 'own' ? 'restricted' : 'bpo', hidden);
  }
  const moved: number[] = [];
  const notMoved: number[] = [];
  for (const id of ticketIds) {
    if (await moveIfOwnedBy(trx, accountId, id, from.id, to.id, rules ? [rules.actor, rules.receiver] : [])) {
      moved.push(id);
      await addEntry(trx, id, {
        kind: 'transferred', actor_contact_id: actor?.id ?? null, actor_name: actor?.name ?? null,
        from_contact_id: from.id, from_name: from.name, to_contact_id: to.id, to_name: to.name,
      });
    } else notMoved.push(id);
  }
  return { moved, skipped: await ticketsByIds(trx, accountId, notMoved, rules?.actor) };
}

/**
 * Why `toId` cannot receive `fromId`'s tickets (an i18n key), or null. Read before the
 * transaction: the directory's flag check uses its own connection.
 */
export async function receiverProblem(req: Request, ctx: PluginContext, fromId: number, toId: number): Promise<string | null> {
  if (!Number.isSafeInteger(toId) || toId <= 0) return 'plugins.support.transfer.errors.receiverRequired';
  if (toId === fromId) return 'plugins.support.transfer.errors.sameContact';
  const receiver = await ctx.contacts.find(req, toId);
  if (!receiver) return 'plugins.support.transfer.errors.receiverNotInCompany';
  if (receiver.status === 'pending') return 'plugins.support.transfer.errors.receiverPending';
  if (receiver.status !== 'active') return 'plugins.support.transfer.errors.receiverInactive';
  const holders = await ctx.contacts.listActive(req, { holding: PORTAL_FLAG });
  if (!holders.some((h) => h.id === toId)) return 'plugins.support.transfer.errors.receiverWithoutPortal';
  return null;
}

/**
 * The question added to the delete / deactivate confirmation of a contact who owns open tickets.
 * It offers only receivers who would see every one of them, as the transfer page requires: not a
 * restricted contact (they see only their own), and with a BPO ticket only holders of the BPO flag.
 * Core accepts only an offered answer, so this is also the hook's check of the receiver's flags.
 */
export const askForReceiver: ConfirmationAsker = async (req, ctx, contactId) => {
  const open = await openTicketsOwnedBy(ctx.db, req.ctx.account.id, contactId);
  if (open.length === 0) return null;
  // One list per flag, not one look-up per candidate: a big company has thousands of portal holders.
  // The primary administrator never holds a narrowing flag, whatever the list of holders says.
  const ids = async (key: string) => new Set((await ctx.contacts.listActive(req, { holding: key })).map((c) => c.id));
  const restricted = await ids(RESTRICTED_FLAG);
  restricted.delete(req.ctx.account.ownerContactId ?? 0);
  const bpo = open.some((t) => t.bpo) ? await ids(BPO_FLAG) : null;
  const receivers = (await ctx.contacts.listActive(req, { holding: PORTAL_FLAG }))
    .filter((c) => c.id !== contactId && !restricted.has(c.id) && (!bpo || bpo.has(c.id)));
  return {
    field: RECEIVER_FIELD,
    label: req.t('plugins.support.confirm.receiver'),
    message: req.t('plugins.support.confirm.message', { count: open.length }),
    options: receivers.map((c) => ({ id: c.id, name: c.name })),
  };
};

/**
 * The `contact.deleting` / `contact.deactivated` hook: a contact who owns open tickets leaves only
 * once they have a new owner, chosen in the confirmation dialog. The receiver's account and status
 * are read through the directory inside the core transaction (core re-asks the question on submit
 * and accepts only one of its options, which are holders of the portal flag).
 */
export async function handOverOpenTickets(event: HookEvents['contact.deleting'] | HookEvents['contact.deactivated'], trx: Knex.Transaction, ctx: PluginContext, hook: HookContext): Promise<void> {
  const open = await openTicketsOwnedBy(trx, event.accountId, event.contactId);
  if (open.length === 0) return;
  const raw = event.fields?.[RECEIVER_FIELD] ?? ('input' in event ? event.input?.[RECEIVER_FIELD] : undefined);
  const receiverId = Number(raw);
  if (!raw || !Number.isSafeInteger(receiverId) || receiverId === event.contactId) {
    throw new HookRefusal('plugins.support.confirm.receiverRequired', { count: open.length });
  }
  const contacts = ctx.contacts.of(event.accountId, trx);
  const receiver = await contacts.find(receiverId);
  if (!receiver || receiver.status !== 'active') throw new HookRefusal('plugins.support.confirm.receiverInvalid');
  const person = async (id: number | null) => {
    const found = id ? await contacts.find(id) : undefined;
    return found ? { id: found.id, name: found.name } : null;
  };
  const from = (await person(event.contactId))!;
  const result = await transferTickets(trx, event.accountId, open.map((t) => t.id), from, { id: receiver.id, name: receiver.name }, await person(hook.actor.contactId));
  // The trail says where a leaving person's tickets went, in the same transaction as the deletion.
  await hook.audit({
    action: 'support.tickets_handed_over', target: { type: 'contact', id: receiver.id },
    details: { from: from.id, to: receiver.id, tickets: result.moved, skipped: result.skipped.map((s) => s.id), reason: 'input' in event ? 'deleted' : 'deactivated' },
  });
}
