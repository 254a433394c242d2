/**
 * The guide's example (docs/plugins.md §3), as a partner writes it: outside the portal's
 * plugins/ folder, importing only `portal/plugin`. The suite loads it through PORTAL_PLUGINS and
 * type-checks it with this folder's own tsconfig.json.
 */
import path from 'node:path';
import type { Response } from 'express';
import { definePlugin, HookRefusal, isSingleLineText, TEXT_RULE_MESSAGES, type PluginContext, type PluginRequest } from 'portal/plugin';

const TABLE = 'field_visits';

interface Visit {
  id: number;
  site: string;
  scheduled_for: string;
  status: string;
  requested_by_contact_id: number | null;
}

/** GET …/p/field-visits: the account's visits and who may schedule them. */
async function list(req: PluginRequest, res: Response, ctx: PluginContext, errors: Record<string, string> = {}, status = 200) {
  const visits: Visit[] = await ctx.db(TABLE).where({ account_id: req.ctx.account.id }).orderBy('scheduled_for', 'desc').orderBy('id', 'desc');
  await ctx.render(res, 'list', {
    title: req.t('plugins.fieldVisits.title'),
    base: ctx.baseUrl(req),
    visits,
    schedulers: await ctx.contacts.listActive(req, { holding: 'field-visits.schedule' }),
    canSchedule: req.ctx.can('field-visits.schedule'),
    values: { site: String(req.body?.site ?? ''), date: String(req.body?.date ?? '') },
    errors,
  }, status);
}

/** POST …/p/field-visits: schedules a visit, signed in the audit trail. */
async function schedule(req: PluginRequest, res: Response, ctx: PluginContext) {
  const site = String(req.body?.site ?? '').trim();
  const date = String(req.body?.date ?? '');
  const errors: Record<string, string> = {};
  if (!site || site.length > 120) errors.site = 'plugins.fieldVisits.errors.site';
  else if (!isSingleLineText(site)) errors.site = TEXT_RULE_MESSAGES.singleLine;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) errors.date = 'plugins.fieldVisits.errors.date';
  if (Object.keys(errors).length) return list(req, res, ctx, errors, 422);

  await ctx.transaction(async (trx) => {
    const [id] = await trx(TABLE).insert({
      account_id: req.ctx.account.id, requested_by_contact_id: req.ctx.contact.id, site, scheduled_for: date, status: 'scheduled', created_at: new Date(),
    });
    await ctx.audit(trx, req, { action: 'field-visits.scheduled', target: { type: 'field_visit', id: Number(id) }, details: { after: { site, date } } });
  });
  res.redirect(303, ctx.baseUrl(req));
}

/** The visit `:visitId` of the request's account; another account's id is not found. */
async function visitOf(req: PluginRequest, ctx: PluginContext, q = ctx.db): Promise<Visit | undefined> {
  const id = Number(req.params.visitId);
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  return q(TABLE).where({ id, account_id: req.ctx.account.id }).first();
}

/** GET …/p/field-visits/:visitId: one visit, with the name of who asked for it. */
async function show(req: PluginRequest, res: Response, ctx: PluginContext) {
  const visit = await visitOf(req, ctx);
  if (!visit) return ctx.notFound();
  const requestedBy = visit.requested_by_contact_id ? await ctx.contacts.displayName(req, visit.requested_by_contact_id) : null;
  await ctx.render(res, 'show', { title: visit.site, base: ctx.baseUrl(req), visit, requestedBy, canSchedule: req.ctx.can('field-visits.schedule') });
}

/** POST …/p/field-visits/:visitId/cancel */
async function cancel(req: PluginRequest, res: Response, ctx: PluginContext) {
  const visit = await ctx.transaction(async (trx) => {
    const found = await visitOf(req, ctx, trx);
    if (!found) return ctx.notFound(); // throws: the transaction rolls back
    await trx(TABLE).where({ id: found.id }).update({ status: 'cancelled' });
    await ctx.audit(trx, req, { action: 'field-visits.cancelled', target: { type: 'field_visit', id: found.id }, details: { before: { status: found.status }, after: { status: 'cancelled' } } });
    return found;
  });
  res.redirect(303, `${ctx.baseUrl(req)}/${visit.id}`);
}

export default definePlugin({
  id: 'field-visits',
  name: 'plugins.fieldVisits.name',
  permissions: [
    { key: 'field-visits.view', label: 'plugins.fieldVisits.view', description: 'plugins.fieldVisits.viewHelp' },
    { key: 'field-visits.schedule', label: 'plugins.fieldVisits.schedule', description: 'plugins.fieldVisits.scheduleHelp' },
  ],
  profiles: {
    administrator: ['field-visits.view', 'field-visits.schedule'], // informative: administrators hold every flag anyway
    member: ['field-visits.view'],
    observer_download: ['field-visits.view'],
  },
  menu: [{ label: 'plugins.fieldVisits.menu', path: '/', requires: 'field-visits.view' }],
  routes: [
    { method: 'get', path: '/', requires: 'field-visits.view', handler: (req, res, ctx) => list(req, res, ctx) },
    { method: 'post', path: '/', requires: 'field-visits.schedule', handler: schedule },
    { method: 'get', path: '/:visitId', requires: 'field-visits.view', handler: show },
    { method: 'post', path: '/:visitId/cancel', requires: 'field-visits.schedule', handler: cancel },
  ],
  migrations: path.join(import.meta.dirname, 'migrations'),
  views: path.join(import.meta.dirname, 'views'),
  hooks: {
    // Inside the deletion's transaction: a visit under way keeps the contact (a HookRefusal shows
    // its message to the administrator and nothing is deleted).
    'contact.deleting': async (event, trx) => {
      const mine = () => trx(TABLE).where({ account_id: event.accountId, requested_by_contact_id: event.contactId });
      if (await mine().where({ status: 'in_progress' }).first()) throw new HookRefusal('plugins.fieldVisits.errors.visitInProgress');
      await mine().where({ status: 'scheduled' }).update({ status: 'cancelled' });
    },
    'contact.deactivated': async (event, trx) => {
      await trx(TABLE).where({ account_id: event.accountId, requested_by_contact_id: event.contactId, status: 'scheduled' }).update({ status: 'cancelled' });
    },
  },
  async seedDemo(trx, account) {
    if (await trx(TABLE).where({ account_id: account.id }).first()) return; // re-runs add nothing
    await trx(TABLE).insert([
      { account_id: account.id, requested_by_contact_id: null, site: 'Matriz — São Paulo', scheduled_for: '2026-12-07', status: 'scheduled', created_at: new Date() },
      { account_id: account.id, requested_by_contact_id: null, site: `Filial ${account.index + 1}`, scheduled_for: '2026-11-16', status: 'done', created_at: new Date() },
    ]);
  },
  locales: {
    'pt-BR': { plugins: { fieldVisits: {
      name: 'Visitas Técnicas', menu: 'Visitas Técnicas', title: 'Visitas técnicas',
      view: 'Ver visitas técnicas', viewHelp: 'Consulta as visitas agendadas e realizadas.',
      schedule: 'Agendar visitas técnicas', scheduleHelp: 'Agenda e cancela visitas.',
      site: 'Local', date: 'Data', status: 'Situação', add: 'Agendar', cancel: 'Cancelar visita', requestedBy: 'Solicitada por',
      empty: 'Nenhuma visita.', schedulers: 'Quem agenda', statuses: { scheduled: 'Agendada', in_progress: 'Em andamento', done: 'Realizada', cancelled: 'Cancelada' },
      errors: { site: 'Informe o local (até 120 caracteres).', date: 'Informe uma data válida.', visitInProgress: 'O contato tem uma visita técnica em andamento.' },
    } } },
    es: { plugins: { fieldVisits: {
      name: 'Visitas Técnicas', menu: 'Visitas Técnicas', title: 'Visitas técnicas',
      view: 'Ver visitas técnicas', viewHelp: 'Consulta las visitas programadas y realizadas.',
      schedule: 'Programar visitas técnicas', scheduleHelp: 'Programa y cancela visitas.',
      site: 'Lugar', date: 'Fecha', status: 'Estado', add: 'Programar', cancel: 'Cancelar visita', requestedBy: 'Solicitada por',
      empty: 'Ninguna visita.', schedulers: 'Quién programa', statuses: { scheduled: 'Programada', in_progress: 'En curso', done: 'Realizada', cancelled: 'Cancelada' },
      errors: { site: 'Indique el lugar (hasta 120 caracteres).', date: 'Indique una fecha válida.', visitInProgress: 'El contacto tiene una visita técnica en curso.' },
    } } },
    en: { plugins: { fieldVisits: {
      name: 'Field Visits', menu: 'Field Visits', title: 'Field visits',
      view: 'View field visits', viewHelp: 'Sees scheduled and past visits.',
      schedule: 'Schedule field visits', scheduleHelp: 'Schedules and cancels visits.',
      site: 'Site', date: 'Date', status: 'Status', add: 'Schedule', cancel: 'Cancel visit', requestedBy: 'Requested by',
      empty: 'No visits.', schedulers: 'Who schedules', statuses: { scheduled: 'Scheduled', in_progress: 'In progress', done: 'Done', cancelled: 'Cancelled' },
      errors: { site: 'Enter the site (up to 120 characters).', date: 'Enter a valid date.', visitInProgress: 'The contact has a field visit in progress.' },
    } } },
  },
});
