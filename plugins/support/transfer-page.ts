import type { Response } from 'express';
import type { PluginContext, PluginRequest } from 'portal/plugin';
import { openTicketsOwnedBy, ownersOfOpenTickets } from './repository';
import { idParam, namesOf } from './request';
import { ReceiverCannotSee, receiverProblem, transferTickets } from './transfer';
import { PORTAL_FLAG, visibilityFor, visibilityOf } from './visibility';

type TransferOutcome = { count: number; to: string; skipped: { id: number; number: number; subject: string }[] };
type PageState = { error?: string; errorParams?: Record<string, unknown>; outcome?: TransferOutcome; to?: number; status?: number };

/**
 * "Transferir chamados": only owners and tickets the person sees are offered (a restricted holder
 * of the flag sees their own tickets only, a holder without the BPO flag no one else's BPO ones).
 */
export async function transferPage(req: PluginRequest, res: Response, ctx: PluginContext, state: PageState = {}) {
  const accountId = req.ctx.account.id;
  const visibility = visibilityOf(req);
  const owners = await namesOf(req, ctx, await ownersOfOpenTickets(ctx.db, accountId, visibility));
  const from = idParam(req.query.from ?? req.body?.from);
  const fromName = owners.get(from);
  await ctx.render(res, 'transfer', {
    title: req.t('plugins.support.transfer.title'), base: ctx.baseUrl(req),
    owners: [...owners].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
    from: fromName ? from : 0,
    tickets: fromName ? await openTicketsOwnedBy(ctx.db, accountId, from, visibility) : [],
    receivers: fromName ? (await ctx.contacts.listActive(req, { holding: PORTAL_FLAG })).filter((c) => c.id !== from) : [],
    selected: state.error ? new Set([req.body?.tickets ?? []].flat().map(Number)) : null,
    to: state.to ?? 0, error: state.error, errorParams: state.errorParams ?? {}, outcome: state.outcome,
  }, state.status ?? 200);
}

/**
 * Moves the ticked tickets the person sees, to a receiver who would see each of them; the
 * receiver's flags and the tickets are read in the move's transaction, so a flag or a BPO mark
 * changed meanwhile is what counts.
 */
export async function transfer(req: PluginRequest, res: Response, ctx: PluginContext) {
  const from = idParam(req.body?.from);
  const to = idParam(req.body?.to);
  const ticketIds = [...new Set([req.body?.tickets ?? []].flat().map(idParam).filter(Boolean))].slice(0, 1000);
  const fail = (error: string, errorParams?: Record<string, unknown>) => transferPage(req, res, ctx, { error, errorParams, to, status: 422 });
  const giver = await ctx.contacts.find(req, from);
  if (!giver) return fail('plugins.support.transfer.errors.fromRequired');
  if (ticketIds.length === 0) return fail('plugins.support.transfer.errors.noTickets');
  const problem = await receiverProblem(req, ctx, from, to);
  if (problem) return fail(problem);
  const receiver = (await ctx.contacts.find(req, to))!;
  const { contact } = req.ctx;
  try {
    const result = await ctx.transaction(async (trx) => {
      const flags = await ctx.contacts.flagsOf(req, receiver.id, trx);
      const rules = { actor: visibilityOf(req), receiver: visibilityFor(receiver.id, (key) => flags.has(key)) };
      const r = await transferTickets(trx, req.ctx.account.id, ticketIds, giver, receiver, { id: contact.id, name: contact.name }, rules);
      await ctx.audit(trx, req, {
        action: 'support.tickets_transferred', target: { type: 'contact', id: to },
        details: { from: giver.id, to: receiver.id, tickets: r.moved, skipped: r.skipped.map((s) => s.id) },
      });
      return r;
    });
    await transferPage(req, res, ctx, { outcome: { count: result.moved.length, to: receiver.name, skipped: result.skipped } });
  } catch (err) {
    if (!(err instanceof ReceiverCannotSee)) throw err;
    const tickets = err.tickets.map((t) => `#${t.number} ${t.subject}`).join(', ');
    return fail(`plugins.support.transfer.errors.${err.reason === 'restricted' ? 'receiverRestricted' : 'receiverWithoutBpo'}`, { name: receiver.name, tickets });
  }
}
