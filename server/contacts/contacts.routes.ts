import { Router, type Request, type Response } from 'express';
import { NotFound, SeatLimitReached, ValidationFailed, type FieldErrors } from '../errors';
import { answerForm, idParam, listOf } from '../http/forms';
import { requirePermission, requireStepUp } from '../http/guards';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { flash } from '../http/locals';
import { actingIn } from '../audit/actor';
import { CONTACT_FIELDS, formValues, valuesOf, type ContactFormValues } from './contact-form';
import { toDate } from '../db/knex';
import { assertMayEdit, assertNotPending, type ContactService } from './contacts.service';
import { countries, documentTypes } from './identity';
import type { Answered, ContactConfirmations, ConfirmedChange } from './contact-confirmations';
import type { ContactInvitations } from './contact-invitations';
import type { SecondFactorResetService } from './second-factor-reset.service';
import { BUILT_IN_PROFILES } from '../plugins/contract';

/** The permission catalogue the add form shows (the permissions feature, handed in at composition). */
export interface AccessCatalog {
  modules(): unknown[];
  profileFlags(profile: string): ReadonlySet<string>;
}
const ADD_PROFILES = [...BUILT_IN_PROFILES, 'custom'];

const contactId = (req: Request) => idParam(req, 'contactId');

const base = (req: Request) => `/accounts/${req.ctx!.account.id}/contacts`;
const isFragmentRequest = (req: Request, target: string) =>
  req.get('hx-request') === 'true' && req.get('hx-target') === target && req.get('hx-history-restore-request') !== 'true';

/** "Usuários do Sistema": list, add, edit, deactivate/reactivate, delete. Mounted at /accounts/:accountId/contacts. */
export function contactRoutes(contacts: ContactService, invitations: Pick<ContactInvitations, 'pendingDetails' | 'countWaiting'>, secondFactors: SecondFactorResetService, confirmations: ContactConfirmations, catalog: AccessCatalog) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsManage));

  const formPage = (req: Request, res: Response, mode: 'add' | 'edit', values: ContactFormValues, errors: FieldErrors, status = 200, extra: Record<string, unknown> = {}) =>
    res.renderPage('contacts/form', {
      title: req.t(mode === 'add' ? 'contacts.add.title' : 'contacts.edit.title'),
      mode, values, errors, base: base(req), countries: countries(req.locale), documentTypes, saved: false, ...extra,
    }, status);

  router.get('/', async (req, res) => {
    const list = await contacts.list(req.ctx!.account, req.query);
    // The pending tab shows who invited each person, when, and until when the link works.
    const latest = list.status === 'pending' ? await invitations.pendingDetails(req.ctx!.account.id, list.rows.map((r) => Number((r as Record<string, unknown>).id))) : new Map();
    const invites = new Map([...latest].map(([id, i]) => [id, { by: i.invited_by_name, at: toDate(i.created_at), expiresAt: toDate(i.expires_at), revoked: Boolean(i.revoked_at) }]));
    const waiting = list.status === 'pending' && req.ctx!.can(CORE_FLAGS.contactsInvite) ? await invitations.countWaiting(req.ctx!.account.id) : 0;
    const locals = { title: req.t('contacts.list.title'), list, invites, waiting, now: new Date(), base: base(req), invitationsBase: `/accounts/${req.ctx!.account.id}/invitations` };
    // A fragment also carries the page's "Exportar" link with the new filter (views/contacts/_export.ejs).
    if (isFragmentRequest(req, 'contacts-results')) return res.render('contacts/_results', { ...locals, fragment: true });
    await res.renderPage('contacts/list', locals);
  });

  // The access the invitation carries: a profile, or "Personalizado" with its flags (the batch invitation's editor).
  const accessLocals = (req: Request, profile: string, flags: string[]) => ({
    profile, profiles: ADD_PROFILES, modules: catalog.modules(), sources: new Map(), editorFlags: req.ctx!.permissions,
    checked: new Set(profile === 'custom' ? flags : [...catalog.profileFlags(profile)]),
  });
  const chosenAccess = (body: Record<string, unknown>) => {
    const profile = ADD_PROFILES.includes(String(body.profile)) ? String(body.profile) : 'member';
    return { profile, flags: listOf(body.flags) };
  };

  router.get('/new', async (req, res) => {
    const saved = Number(req.query.saved) || null;
    // The end page names the person (another account's id is simply not found).
    const savedContact = saved ? (await contacts.get(req.ctx!.account, saved)).contact : null;
    await formPage(req, res, 'add', formValues(), {}, 200, { saved: Boolean(savedContact), savedContact, access: accessLocals(req, 'member', []) });
  });

  router.get('/flags', (req, res) => {
    const { profile } = chosenAccess(req.query);
    res.render('permissions/_flags', accessLocals(req, profile, []));
  });

  router.post('/', requireStepUp, async (req, res) => {
    const values = formValues(req.body);
    const chosen = chosenAccess(req.body);
    const access = { access: accessLocals(req, chosen.profile, chosen.flags) };
    let id: number;
    try {
      id = await contacts.add(actingIn(req), values, req.locale, { profile: req.body.profile, flags: req.body.flags });
    } catch (err) {
      if (err instanceof ValidationFailed) return formPage(req, res, 'add', values, err.fields, 422, access);
      if (err instanceof SeatLimitReached) return formPage(req, res, 'add', values, { _form: { key: err.messageKey } }, 409, access);
      throw err;
    }
    res.redirect(303, `${base(req)}/new?saved=${id}`);
  });

  // Inline validation as the user leaves a field: answers that one field, with or without its error.
  router.post('/validate', async (req, res) => {
    const named = String(req.get('hx-trigger-name') ?? req.body.field ?? '');
    if (!(CONTACT_FIELDS as readonly string[]).includes(named)) throw new NotFound();
    // The document type select has no markup of its own: it lives in the document group (_field.ejs).
    const field = named === 'documentType' ? 'document' : named;
    const values = formValues(req.body);
    const mode = req.body.mode === 'edit' ? 'edit' : 'add';
    const editing = mode === 'edit' ? Number(req.body.contactId) || undefined : undefined;
    const errors = await contacts.validate(req.ctx!.account.id, values, { confirmEmail: mode === 'add', contactId: editing });
    res.render('contacts/_field', { field, values, errors, mode, base: base(req), countries: countries(req.locale), documentTypes });
  });

  // Re-renders the form when the country changes (CPF for Brazil, another document elsewhere).
  router.post('/form', async (req, res) => {
    const mode = req.body.mode === 'edit' ? 'edit' : 'add';
    res.render('contacts/_form', { mode, values: formValues(req.body), errors: {}, base: base(req), countries: countries(req.locale), documentTypes, contactId: Number(req.body.contactId) || null });
  });

  router.get('/:contactId', async (req, res) => {
    const data = await contacts.get(req.ctx!.account, contactId(req));
    // The person's two-step verification, for those who may reset it (see second-factor-reset.service.ts).
    const secondFactor = req.ctx!.can(CORE_FLAGS.accountSettings) ? await secondFactors.status(actingIn(req), data.contact, req.ctx!.account.ownerContactId) : null;
    await res.renderPage('contacts/show', { title: data.contact.name, ...data, secondFactor, base: base(req) });
  });

  router.get('/:contactId/edit', async (req, res) => {
    const id = contactId(req);
    const { contact } = await contacts.get(req.ctx!.account, id);
    assertMayEdit(req.ctx!.account.ownerContactId, req.ctx!.contact.id, id);
    assertNotPending(contact);
    await formPage(req, res, 'edit', valuesOf(contact), {}, 200, { contactId: id, saved: req.query.saved === '1', linked: contact.user_id !== null });
  });

  router.post('/:contactId/edit', async (req, res) => {
    const id = contactId(req);
    const values = formValues(req.body);
    await answerForm(req, res, async () => {
      await contacts.update(actingIn(req), id, values);
      res.redirect(303, `${base(req)}/${id}/edit?saved=1`);
    }, {
      invalid: (fields, status) => formPage(req, res, 'edit', values, fields, status, { contactId: id }),
      conflictTo: `${base(req)}/${id}`,
    });
  });

  // The delete / deactivate confirmation, with the questions plugins add (e.g. who receives the
  // open tickets). Shown again, with the answers kept, while an answer is missing or not offered.
  const confirmPage = async (req: Request, res: Response, change: ConfirmedChange, answered?: Answered) => {
    const id = contactId(req);
    const data = await contacts.get(req.ctx!.account, id);
    const questions = answered?.questions ?? (await confirmations.ask(req, change, id));
    const view = change === 'contact.deleting' ? 'delete' : 'deactivate';
    // An error only answers a submitted confirmation: a bare POST (a button outside it, carrying no
    // answer) is asked first, without an error before any choice.
    const body = (req.body ?? {}) as Record<string, unknown>;
    const submitted = Boolean(answered) && (body.confirming === '1' || answered!.questions.some((q) => body[q.field] !== undefined));
    await res.renderPage(`contacts/${view}`, {
      title: req.t(`contacts.${view}.title`), ...data, base: base(req), questions, answers: submitted ? req.body : {}, errors: submitted ? answered!.errors : {},
      returnTo: req.body?.returnTo === 'list' || req.query.returnTo === 'list' ? 'list' : null,
    }, submitted ? 422 : 200);
  };
  /** The answers to the plugins' questions; undefined once the confirmation page was answered instead. */
  const confirmedFields = async (req: Request, res: Response, change: ConfirmedChange): Promise<Record<string, string> | undefined> => {
    const id = contactId(req);
    await contacts.get(req.ctx!.account, id); // another account's id: 404 before any plugin is asked
    const answered = await confirmations.answers(req, change, id, req.body ?? {});
    if (Object.keys(answered.errors).length === 0) return answered.fields;
    await confirmPage(req, res, change, answered);
    return undefined;
  };

  // Refusals (yourself, the primary administrator, no free seat, a plugin hook) come back as a message on the page.
  const statusAction = (action: 'deactivate' | 'reactivate', successKey: string) =>
    router.post(`/:contactId/${action}`, async (req, res) => {
      const id = contactId(req);
      const back = req.body.returnTo === 'list' ? base(req) : `${base(req)}/${id}`;
      await answerForm(req, res, async () => {
        if (action === 'deactivate') {
          const fields = await confirmedFields(req, res, 'contact.deactivated');
          if (!fields) return;
          await contacts.deactivate(actingIn(req), id, fields);
        } else {
          await contacts.reactivate(actingIn(req), id);
        }
        flash(req, { type: 'success', key: successKey });
        res.redirect(303, back);
      }, { conflictTo: back });
    });
  statusAction('deactivate', 'contacts.deactivated');
  statusAction('reactivate', 'contacts.reactivated');

  router.get('/:contactId/deactivate', (req, res) => confirmPage(req, res, 'contact.deactivated'));
  router.get('/:contactId/delete', (req, res) => confirmPage(req, res, 'contact.deleting'));

  router.post('/:contactId/delete', requireStepUp, async (req, res) => {
    const id = contactId(req);
    // A 409 is e.g. a plugin hook's HookRefusal: told on the contact's page.
    await answerForm(req, res, async () => {
      const fields = await confirmedFields(req, res, 'contact.deleting');
      if (!fields) return;
      await contacts.remove(actingIn(req), id, req.body, fields);
      flash(req, { type: 'success', key: 'common.removed' });
      res.redirect(303, base(req));
    }, { conflictTo: `${base(req)}/${id}` });
  });

  return router;
}
