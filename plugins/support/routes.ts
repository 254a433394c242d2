import type { Request, Response } from 'express';
import { isMultiLineText, isSingleLineText, TEXT_RULE_MESSAGES, type PluginContext, type RouteDeclaration } from '../../server/plugins/contract';
import { ACCEPT, attachmentsOf, findAttachment, MAX_FILE_BYTES, MAX_FILES, parseUploads, sendAttachment, storeAttachments } from './attachments';
import {
  addEntry, CATEGORIES, entriesOf, findVisible, insertTicket, listTickets, openTicketsOwnedBy, ownersOfOpenTickets,
  PRIORITIES, STATUSES, touch, type Visibility,
} from './repository';
import { PORTAL_FLAG, receiverProblem, transferTickets } from './transfer';

export const TRANSFER_FLAG = 'support.transfer';

/** The visibility rule table of docs/plugins.md: a narrowing flag wins over the BPO one. */
export function visibilityOf(req: Request): Visibility {
  const { contact, can } = req.ctx!;
  if (can('support.restricted')) return { kind: 'own', contactId: contact.id };
  if (can('support.bpo-full')) return { kind: 'all' };
  return { kind: 'own-and-non-bpo', contactId: contact.id };
}

const idParam = (raw: unknown) => {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
};
const text = (raw: unknown) => (typeof raw === 'string' ? raw.trim() : '');

/**
 * Names of the given contacts, one directory look-up each: bounded by a page's distinct owners,
 * where listing the account's active contacts would read thousands of rows in a big company.
 */
async function namesOf(req: Request, ctx: PluginContext, ids: (number | null)[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const id of new Set(ids)) {
    if (!id) continue;
    const name = await ctx.contacts.displayName(req, id);
    if (name) names.set(id, name);
  }
  return names;
}

async function list(req: Request, res: Response, ctx: PluginContext) {
  const status = STATUSES.includes(req.query.status as never) || req.query.status === 'open' ? String(req.query.status) : '';
  const q = text(req.query.q).slice(0, 100);
  const tickets = await listTickets(ctx.db, req.ctx!.account.id, visibilityOf(req), { status, q });
  await ctx.render(res, 'list', {
    title: req.t('plugins.support.tickets.title'), base: ctx.baseUrl(req), tickets, status, q, statuses: STATUSES,
    owners: await namesOf(req, ctx, tickets.map((t) => t.owner_contact_id)),
    canTransfer: req.ctx!.can(TRANSFER_FLAG),
  });
}

type Values = { subject: string; description: string; category: string; priority: string; bpo: boolean };

async function newForm(req: Request, res: Response, ctx: PluginContext, values?: Values, errors: Record<string, string> = {}, status = 200) {
  await ctx.render(res, 'new', {
    title: req.t('plugins.support.tickets.new'), base: ctx.baseUrl(req), categories: CATEGORIES, priorities: PRIORITIES,
    accept: ACCEPT, maxFiles: MAX_FILES, maxMegabytes: MAX_FILE_BYTES / 1024 / 1024,
    values: values ?? { subject: '', description: '', category: 'question', priority: 'medium', bpo: false }, errors,
  }, status);
}

async function create(req: Request, res: Response, ctx: PluginContext) {
  const uploads = await parseUploads(req, res);
  const values: Values = {
    subject: text(req.body?.subject), description: text(req.body?.description), category: text(req.body?.category),
    priority: text(req.body?.priority), bpo: req.body?.bpo === '1',
  };
  const errors: Record<string, string> = {};
  if (!values.subject || values.subject.length > 120) errors.subject = 'plugins.support.tickets.errors.subject';
  else if (!isSingleLineText(values.subject)) errors.subject = TEXT_RULE_MESSAGES.singleLine;
  if (!values.description || values.description.length > 10000) errors.description = 'plugins.support.tickets.errors.description';
  else if (!isMultiLineText(values.description)) errors.description = TEXT_RULE_MESSAGES.multiLine;
  if (!CATEGORIES.includes(values.category as never)) errors.category = 'plugins.support.tickets.errors.category';
  if (!PRIORITIES.includes(values.priority as never)) errors.priority = 'plugins.support.tickets.errors.priority';
  if (uploads.error) errors.attachments = uploads.error;
  if (Object.keys(errors).length) return newForm(req, res, ctx, values, errors, 422);

  const { account, contact } = req.ctx!;
  let removeFiles = async () => {};
  const id = await ctx.db.transaction(async (trx) => {
    const ticketId = await insertTicket(trx, {
      account_id: account.id, owner_contact_id: contact.id, opened_by_contact_id: contact.id, subject: values.subject,
      description: values.description, category: values.category, priority: values.priority, status: 'open', bpo: values.bpo,
    });
    await addEntry(trx, ticketId, { kind: 'opened', actor_contact_id: contact.id, actor_name: contact.name });
    removeFiles = await storeAttachments(trx, ctx.filesDir, ticketId, contact.id, uploads.files);
    const attachments = uploads.files.map((f) => ({ name: f.originalName, size: f.bytes.length }));
    await ctx.audit(trx, req, {
      action: 'support.ticket_opened', target: { type: 'support_ticket', id: ticketId },
      details: { after: { subject: values.subject, category: values.category, priority: values.priority, bpo: values.bpo, ...(attachments.length ? { attachments } : {}) } },
    });
    return ticketId;
  }).catch(async (err: unknown) => {
    await removeFiles();
    throw err;
  });
  res.redirect(303, `${ctx.baseUrl(req)}/${id}`);
}

async function show(req: Request, res: Response, ctx: PluginContext, commentErrors: { body?: string; attachments?: string } = {}, status = 200) {
  const ticket = await findVisible(ctx.db, req.ctx!.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  const names = await namesOf(req, ctx, [ticket.owner_contact_id, ticket.opened_by_contact_id]);
  await ctx.render(res, 'show', {
    title: `#${ticket.id} ${ticket.subject}`, base: ctx.baseUrl(req), ticket, entries: await entriesOf(ctx.db, ticket.id),
    attachments: await attachmentsOf(ctx.db, ticket.id),
    owner: ticket.owner_contact_id ? names.get(ticket.owner_contact_id) ?? null : null,
    openedBy: ticket.opened_by_contact_id ? names.get(ticket.opened_by_contact_id) ?? null : null,
    commentErrors, comment: status === 200 ? '' : text(req.body?.body), accept: ACCEPT, maxFiles: MAX_FILES, maxMegabytes: MAX_FILE_BYTES / 1024 / 1024,
  }, status);
}

async function comment(req: Request, res: Response, ctx: PluginContext) {
  const ticket = await findVisible(ctx.db, req.ctx!.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  const uploads = await parseUploads(req, res);
  const body = text(req.body?.body);
  const errors: { body?: string; attachments?: string } = {};
  if (!body || body.length > 10000) errors.body = 'plugins.support.tickets.errors.comment';
  else if (!isMultiLineText(body)) errors.body = TEXT_RULE_MESSAGES.multiLine;
  if (uploads.error) errors.attachments = uploads.error;
  if (errors.body || errors.attachments) return show(req, res, ctx, errors, 422);
  const { contact } = req.ctx!;
  let removeFiles = async () => {};
  await ctx.db.transaction(async (trx) => {
    await addEntry(trx, ticket.id, { kind: 'comment', actor_contact_id: contact.id, actor_name: contact.name, body });
    removeFiles = await storeAttachments(trx, ctx.filesDir, ticket.id, contact.id, uploads.files);
    await touch(trx, ticket.id);
    const attachments = uploads.files.map((f) => ({ name: f.originalName, size: f.bytes.length }));
    await ctx.audit(trx, req, { action: 'support.ticket_commented', target: { type: 'support_ticket', id: ticket.id }, ...(attachments.length ? { details: { after: { attachments } } } : {}) });
  }).catch(async (err: unknown) => {
    await removeFiles();
    throw err;
  });
  res.redirect(303, `${ctx.baseUrl(req)}/${ticket.id}`);
}

/** Same visibility as the ticket: an attachment of a ticket the person cannot see is not there. */
async function download(req: Request, res: Response, ctx: PluginContext) {
  const ticket = await findVisible(ctx.db, req.ctx!.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  const attachment = await findAttachment(ctx.db, ticket.id, idParam(req.params.attachmentId));
  if (!attachment || !(await sendAttachment(res, ctx.filesDir, attachment))) return ctx.notFound();
}

type TransferOutcome = { count: number; to: string; skipped: { id: number; subject: string }[] };

async function transferPage(req: Request, res: Response, ctx: PluginContext, state: { error?: string; outcome?: TransferOutcome; to?: number; status?: number } = {}) {
  const accountId = req.ctx!.account.id;
  const owners = await namesOf(req, ctx, await ownersOfOpenTickets(ctx.db, accountId));
  const from = idParam(req.query.from ?? req.body?.from);
  const fromName = owners.get(from);
  await ctx.render(res, 'transfer', {
    title: req.t('plugins.support.transfer.title'), base: ctx.baseUrl(req),
    owners: [...owners].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
    from: fromName ? from : 0,
    tickets: fromName ? await openTicketsOwnedBy(ctx.db, accountId, from) : [],
    receivers: fromName ? (await ctx.contacts.listActive(req, { holding: PORTAL_FLAG })).filter((c) => c.id !== from) : [],
    selected: state.error ? new Set([req.body?.tickets ?? []].flat().map(Number)) : null,
    to: state.to ?? 0, error: state.error, outcome: state.outcome,
  }, state.status ?? 200);
}

async function transfer(req: Request, res: Response, ctx: PluginContext) {
  const from = idParam(req.body?.from);
  const to = idParam(req.body?.to);
  const ticketIds = [...new Set([req.body?.tickets ?? []].flat().map(idParam).filter(Boolean))].slice(0, 1000);
  const fail = (error: string) => transferPage(req, res, ctx, { error, to, status: 422 });
  const giver = await ctx.contacts.find(req, from);
  if (!giver) return fail('plugins.support.transfer.errors.fromRequired');
  if (ticketIds.length === 0) return fail('plugins.support.transfer.errors.noTickets');
  const problem = await receiverProblem(req, ctx, from, to);
  if (problem) return fail(problem);
  const receiver = (await ctx.contacts.find(req, to))!;
  const { contact } = req.ctx!;
  const result = await ctx.db.transaction(async (trx) => {
    const r = await transferTickets(trx, req.ctx!.account.id, ticketIds, giver, receiver, { id: contact.id, name: contact.name });
    await ctx.audit(trx, req, {
      action: 'support.tickets_transferred', target: { type: 'contact', id: to },
      details: { from: giver.id, to: receiver.id, tickets: r.moved, skipped: r.skipped.map((s) => s.id) },
    });
    return r;
  });
  await transferPage(req, res, ctx, { outcome: { count: result.moved.length, to: receiver.name, skipped: result.skipped } });
}

export const routes: RouteDeclaration[] = [
  { method: 'get', path: '/', requires: PORTAL_FLAG, handler: list },
  { method: 'get', path: '/new', requires: PORTAL_FLAG, handler: (req, res, ctx) => newForm(req, res, ctx) },
  { method: 'post', path: '/', requires: PORTAL_FLAG, handler: create },
  { method: 'get', path: '/transfer', requires: TRANSFER_FLAG, handler: (req, res, ctx) => transferPage(req, res, ctx) },
  { method: 'post', path: '/transfer', requires: TRANSFER_FLAG, handler: transfer },
  { method: 'get', path: '/:ticketId', requires: PORTAL_FLAG, handler: (req, res, ctx) => show(req, res, ctx) },
  { method: 'post', path: '/:ticketId/comments', requires: PORTAL_FLAG, handler: comment },
  { method: 'get', path: '/:ticketId/attachments/:attachmentId', requires: PORTAL_FLAG, handler: download },
];
