import type { Response } from 'express';
import { isMultiLineText, isSingleLineText, TEXT_RULE_MESSAGES, type PluginContext, type PluginRequest, type RouteDeclaration } from 'portal/plugin';
import { attachmentsOf, findAttachment, sendAttachment, placeAttachments, recordAttachments } from './attachments';
import { addEntry, CATEGORIES, ensureCounter, entriesOf, findVisible, insertTicket, listTickets, PRIORITIES, STATUSES, touch } from './repository';
import { idParam, namesOf, text } from './request';
import { transfer, transferPage } from './transfer-page';
import { ACCEPT, MAX_FILE_BYTES, MAX_FILES, MAX_REQUEST_BYTES, withUploads } from './uploads';
import { PORTAL_FLAG, TRANSFER_FLAG, visibilityOf } from './visibility';

async function list(req: PluginRequest, res: Response, ctx: PluginContext) {
  const status = STATUSES.includes(req.query.status as never) || req.query.status === 'open' ? String(req.query.status) : '';
  const q = text(req.query.q).slice(0, 100);
  const tickets = await listTickets(ctx.db, req.ctx.account.id, visibilityOf(req), { status, q });
  await ctx.render(res, 'list', {
    title: req.t('plugins.support.tickets.title'), base: ctx.baseUrl(req), tickets, status, q, statuses: STATUSES,
    owners: await namesOf(req, ctx, tickets.map((t) => t.owner_contact_id)),
    canTransfer: req.ctx.can(TRANSFER_FLAG),
  });
}

type Values = { subject: string; description: string; category: string; priority: string; bpo: boolean };

/** What the attachment fields and their messages show. */
const LIMITS = { accept: ACCEPT, limits: { count: MAX_FILES, megabytes: MAX_FILE_BYTES / 1024 / 1024, totalMegabytes: MAX_REQUEST_BYTES / 1024 / 1024 } };

async function newForm(req: PluginRequest, res: Response, ctx: PluginContext, values?: Values, errors: Record<string, string> = {}, status = 200) {
  await ctx.render(res, 'new', {
    title: req.t('plugins.support.tickets.new'), base: ctx.baseUrl(req), categories: CATEGORIES, priorities: PRIORITIES, ...LIMITS,
    values: values ?? { subject: '', description: '', category: 'question', priority: 'medium', bpo: false }, errors,
  }, status);
}

async function create(req: PluginRequest, res: Response, ctx: PluginContext) {
  await withUploads(req, res, ctx.filesDir, async (uploads) => {
    if (uploads.refused) return newForm(req, res, ctx, undefined, { attachments: uploads.error! }, uploads.status);
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
    if (Object.keys(errors).length) return newForm(req, res, ctx, values, errors, uploads.status ?? 422);

    const { account, contact } = req.ctx;
    await ensureCounter(ctx.db, account.id);
    const files = await placeAttachments(ctx.filesDir, uploads.files);
    const id = await ctx.transaction(async (trx) => {
      const ticketId = await insertTicket(trx, {
        account_id: account.id, owner_contact_id: contact.id, opened_by_contact_id: contact.id, subject: values.subject,
        description: values.description, category: values.category, priority: values.priority, status: 'open', bpo: values.bpo,
      });
      await addEntry(trx, ticketId, { kind: 'opened', actor_contact_id: contact.id, actor_name: contact.name });
      await recordAttachments(trx, ticketId, contact.id, files.placed);
      const attachments = uploads.files.map((f) => ({ name: f.originalName, size: f.size }));
      await ctx.audit(trx, req, {
        action: 'support.ticket_opened', target: { type: 'support_ticket', id: ticketId },
        details: { after: { subject: values.subject, category: values.category, priority: values.priority, bpo: values.bpo, ...(attachments.length ? { attachments } : {}) } },
      });
      return ticketId;
    }).catch(async (err: unknown) => {
      await files.remove();
      throw err;
    });
    // The ticket's page says it was opened (and under which number) right after.
    res.redirect(303, `${ctx.baseUrl(req)}/${id}?opened=1`);
  });
}

async function show(req: PluginRequest, res: Response, ctx: PluginContext, commentErrors: { body?: string; attachments?: string } = {}, status = 200) {
  const ticket = await findVisible(ctx.db, req.ctx.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  const names = await namesOf(req, ctx, [ticket.owner_contact_id, ticket.opened_by_contact_id]);
  await ctx.render(res, 'show', {
    title: `#${ticket.number} ${ticket.subject}`, base: ctx.baseUrl(req), ticket, opened: status === 200 && req.query.opened === '1', entries: await entriesOf(ctx.db, ticket.id),
    attachments: await attachmentsOf(ctx.db, ticket.id),
    owner: ticket.owner_contact_id ? names.get(ticket.owner_contact_id) ?? null : null,
    openedBy: ticket.opened_by_contact_id ? names.get(ticket.opened_by_contact_id) ?? null : null,
    commentErrors, comment: status === 200 ? '' : text(req.body?.body), ...LIMITS,
  }, status);
}

async function comment(req: PluginRequest, res: Response, ctx: PluginContext) {
  const ticket = await findVisible(ctx.db, req.ctx.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  await withUploads(req, res, ctx.filesDir, async (uploads) => {
    if (uploads.refused) return show(req, res, ctx, { attachments: uploads.error }, uploads.status);
    const body = text(req.body?.body);
    const errors: { body?: string; attachments?: string } = {};
    if (!body || body.length > 10000) errors.body = 'plugins.support.tickets.errors.comment';
    else if (!isMultiLineText(body)) errors.body = TEXT_RULE_MESSAGES.multiLine;
    if (uploads.error) errors.attachments = uploads.error;
    if (errors.body || errors.attachments) return show(req, res, ctx, errors, uploads.status ?? 422);
    const { contact } = req.ctx;
    const files = await placeAttachments(ctx.filesDir, uploads.files);
    await ctx.transaction(async (trx) => {
      await addEntry(trx, ticket.id, { kind: 'comment', actor_contact_id: contact.id, actor_name: contact.name, body });
      await recordAttachments(trx, ticket.id, contact.id, files.placed);
      await touch(trx, ticket.id);
      const attachments = uploads.files.map((f) => ({ name: f.originalName, size: f.size }));
      await ctx.audit(trx, req, { action: 'support.ticket_commented', target: { type: 'support_ticket', id: ticket.id }, ...(attachments.length ? { details: { after: { attachments } } } : {}) });
    }).catch(async (err: unknown) => {
      await files.remove();
      throw err;
    });
    res.redirect(303, `${ctx.baseUrl(req)}/${ticket.id}`);
  });
}

/** Same visibility as the ticket: an attachment of a ticket the person cannot see is not there. */
async function download(req: PluginRequest, res: Response, ctx: PluginContext) {
  const ticket = await findVisible(ctx.db, req.ctx.account.id, idParam(req.params.ticketId), visibilityOf(req));
  if (!ticket) return ctx.notFound();
  const attachment = await findAttachment(ctx.db, ticket.id, idParam(req.params.attachmentId));
  if (!attachment || !(await sendAttachment(res, ctx.filesDir, attachment))) return ctx.notFound();
}

export const routes: RouteDeclaration[] = [
  { method: 'get', path: '/', requires: PORTAL_FLAG, handler: list },
  { method: 'get', path: '/new', requires: PORTAL_FLAG, handler: (req, res, ctx) => newForm(req, res, ctx) },
  { method: 'post', path: '/', requires: PORTAL_FLAG, handler: create },
  { method: 'get', path: '/transfer', requires: TRANSFER_FLAG, handler: (req, res, ctx) => transferPage(req, res, ctx) },
  // Moving many tickets at once is a mass change: confirmed again, like core's.
  { method: 'post', path: '/transfer', requires: TRANSFER_FLAG, stepUp: true, handler: transfer },
  { method: 'get', path: '/:ticketId', requires: PORTAL_FLAG, handler: (req, res, ctx) => show(req, res, ctx) },
  { method: 'post', path: '/:ticketId/comments', requires: PORTAL_FLAG, handler: comment },
  { method: 'get', path: '/:ticketId/attachments/:attachmentId', requires: PORTAL_FLAG, handler: download },
];
