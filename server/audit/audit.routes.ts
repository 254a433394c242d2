import { Router, type NextFunction, type Request, type Response } from 'express';
import { idParam } from '../http/forms';
import { requirePermission } from '../http/guards';
import { CORE_FLAGS } from '../plugins/core-manifest';
import type { AuditFilter, AuditViewService } from './audit-view.service';

const one = (v: unknown, max = 200) => (typeof v === 'string' ? v.trim().slice(0, max) : '');
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The page's filter from the query string, whatever was typed or forged: unknown values are
 * dropped, never an error. (The export's own parser, parseAuditFilter, reads the same names.)
 */
export function auditFilterOf(query: Record<string, unknown>): AuditFilter {
  const role = one(query.role);
  const before = Number(one(query.before, 20));
  return {
    person: one(query.person, 254),
    role: role === 'by' || role === 'to' ? role : 'any',
    action: /^[a-z][a-z0-9_-]*\.[a-z0-9_.-]+$/.test(one(query.action, 80)) ? one(query.action, 80) : '',
    targetType: /^[a-z_]{1,40}$/.test(one(query.target_type)) ? one(query.target_type) : '',
    targetId: /^[\w-]{1,40}$/.test(one(query.target_id)) ? one(query.target_id) : '',
    from: DAY.test(one(query.from)) ? one(query.from) : '',
    to: DAY.test(one(query.to)) ? one(query.to) : '',
    q: one(query.q, 100),
    before: Number.isSafeInteger(before) && before > 0 ? before : null,
  };
}

/** The filter as a query string (without the cursor): the paging links, the export links and the pushed URL. */
export function filterQuery(f: AuditFilter, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  if (f.person) p.set('person', f.person);
  if (f.person && f.role !== 'any') p.set('role', f.role);
  if (f.action) p.set('action', f.action);
  if (f.targetType && f.targetId) {
    p.set('target_type', f.targetType);
    p.set('target_id', f.targetId);
  }
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.q) p.set('q', f.q);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  const qs = p.toString();
  return qs ? `?${qs}` : '';
}

const base = (req: Request) => `/accounts/${req.ctx!.account.id}/audit`;
const viewer = (req: Request) => ({ t: req.t as never, locale: req.locale });
const isFragmentRequest = (req: Request, target: string) =>
  req.get('hx-request') === 'true' && req.get('hx-target') === target && req.get('hx-history-restore-request') !== 'true';

/** "Auditoria": the account's trail for holders of audit.view. Mounted at /accounts/:accountId/audit. */
export function auditRoutes(audit: AuditViewService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.auditView));

  router.get('/', async (req, res) => {
    const filter = auditFilterOf(req.query);
    const page = await audit.page(req.ctx!.account.id, filter, viewer(req));
    const locals = {
      title: req.t('audit.title'), filter, page, base: base(req), actions: audit.actionOptions(viewer(req)),
      query: filterQuery(filter), nextUrl: page.next ? `${base(req)}${filterQuery(filter, { before: String(page.next) })}` : null,
    };
    if (isFragmentRequest(req, 'audit-results')) return res.render('audit/_results', locals);
    await res.renderPage('audit/list', locals);
  });

  // The person field's suggestions (a <datalist>): found through the contacts search, a few at a time.
  router.get('/people', async (req, res) => {
    res.render('audit/_people', { people: await audit.suggestions(req.ctx!.account.id, one(req.query.person, 254)) });
  });

  // One event on a page of its own (a link to it); ids only, so the export's paths pass on.
  router.get('/:eventId', async (req: Request, res: Response, next: NextFunction) => {
    if (!/^\d{1,18}$/.test(String(req.params.eventId))) return next();
    const event = await audit.event(req.ctx!.account.id, idParam(req, 'eventId'), viewer(req));
    await res.renderPage('audit/event', { title: event.label, event, base: base(req) });
  });

  return router;
}
