import { Router, type Request, type Response } from 'express';
import { requirePermission, requireStepUp } from '../http/guards';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { actingIn } from '../audit/actor';
import { formValues, valuesOf, type ContactFormValues } from '../contacts/contact-form';
import { countries, documentTypes } from '../contacts/identity';
import { Conflict, Forbidden, InvitationClosed, LoginExists, NotFound, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { idParam, listOf } from '../http/forms';
import { flash, issueCsrfToken } from '../http/locals';
import { requestMeta } from '../http/request-meta';
import { isLocale, LOCALES } from '../i18n';
import type { PermissionService } from '../permissions/permissions.service';
import type { InvitationAcceptanceService } from './invitation-acceptance.service';
import { INVITE_PROFILES, type AddressAnswer, type InvitationService } from './invitations.service';


/** "Convidar usuários" and "Reenviar convite": /accounts/:accountId/invitations. */
export function invitationAdminRoutes(invitations: InvitationService, permissions: PermissionService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsInvite));
  const contactsBase = (req: Request) => `/accounts/${req.ctx!.account.id}/contacts`;

  const formPage = (req: Request, res: Response, input: { addresses: string; profile: string; flags: string[]; locale: string }, extra: { answers?: AddressAnswer[]; error?: string | null; errors?: FieldErrors } = {}, status = 200) =>
    res.renderPage('invitations/new', {
      title: req.t('invitations.new.title'),
      input, profiles: INVITE_PROFILES, locales: LOCALES, modules: permissions.modules(),
      checked: new Set(input.profile === 'custom' ? input.flags : [...permissions.profileFlags(input.profile)]),
      sources: new Map(), editorFlags: req.ctx!.permissions,
      base: `/accounts/${req.ctx!.account.id}/invitations`, contactsBase: contactsBase(req),
      answers: extra.answers ?? null, error: extra.error ?? null, errors: extra.errors ?? {},
    }, status);

  router.get('/', (req, res) => formPage(req, res, { addresses: '', profile: 'member', flags: [], locale: req.locale }));

  // The permission editor's flags for the chosen profile (read-only unless "Personalizado").
  router.get('/flags', (req, res) => {
    const profile = (INVITE_PROFILES as readonly string[]).includes(String(req.query.profile)) ? String(req.query.profile) : 'member';
    res.render('permissions/_flags', {
      modules: permissions.modules(), sources: new Map(), profile, editorFlags: req.ctx!.permissions,
      checked: new Set(profile === 'custom' ? [] : [...permissions.profileFlags(profile)]),
    });
  });

  router.post('/', requireStepUp, async (req, res) => {
    const input = {
      addresses: typeof req.body.addresses === 'string' ? req.body.addresses : '',
      profile: typeof req.body.profile === 'string' ? req.body.profile : 'member',
      flags: listOf(req.body.flags),
      locale: isLocale(req.body.locale) ? req.body.locale : req.locale,
    };
    try {
      const answers = await invitations.inviteMany(actingIn(req), input);
      const sent = answers.filter((a) => a.outcome === 'invited').length;
      return formPage(req, res, { ...input, addresses: '' }, { answers, error: null }, sent ? 200 : 422);
    } catch (err) {
      if (err instanceof ValidationFailed) return formPage(req, res, input, { errors: err.fields, error: req.t('errors.validation') }, 422);
      if (err instanceof Conflict || err instanceof Forbidden) return formPage(req, res, input, { error: req.t(err.messageKey, err.params) }, err.status);
      throw err;
    }
  });

  // "Reenviar convite" (pending) and "Enviar convite de acesso" (active without a login), from the list.
  router.post('/contacts/:contactId/resend', requireStepUp, async (req, res) => {
    const id = idParam(req, 'contactId');
    const locale = isLocale(req.body.locale) ? req.body.locale : req.locale;
    try {
      await invitations.resend(actingIn(req), id, locale);
      flash(req, { type: 'success', key: 'invitations.resent' });
    } catch (err) {
      if (!(err instanceof Conflict || err instanceof TooManyAttempts)) throw err;
      flash(req, { type: 'error', key: err instanceof TooManyAttempts ? 'invitations.errors.tooManyResends' : err.messageKey, params: err.params });
    }
    res.redirect(303, req.body.returnTo === 'pending' ? `${contactsBase(req)}?status=pending` : contactsBase(req));
  });

  // "Enviar convites": the pending contacts an import left without an invitation ("enviar convites depois").
  router.post('/waiting', requireStepUp, async (req, res) => {
    const sent = await invitations.sendWaiting(actingIn(req), req.locale);
    flash(req, sent ? { type: 'success', key: 'invitations.waiting.sent', params: { count: sent } } : { type: 'info', key: 'invitations.waiting.none' });
    res.redirect(303, `${contactsBase(req)}?status=pending`);
  });

  return router;
}

const isWellFormedToken = (token: unknown): token is string => typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);

/** The invited person's pages, public: /invitations/:token and its confirmation link. */
export function invitationPublicRoutes(acceptance: InvitationAcceptanceService) {
  const router = Router();

  const closedPage = (req: Request, res: Response, err: InvitationClosed) =>
    res.renderPage('invitations/closed', { title: req.t('invitations.closed.title'), state: err.state }, err.status);

  const tokenOf = (req: Request) => {
    if (!isWellFormedToken(req.params.token)) throw new InvitationClosed('unknown');
    return req.params.token;
  };

  const registerPage = async (req: Request, res: Response, token: string, values: ReturnType<typeof formValues>, errors: FieldErrors, status = 200) => {
    const opened = await acceptance.open(token);
    issueCsrfToken(req, res);
    await res.renderPage('invitations/register', {
      title: req.t('invitations.register.title'), opened, token, values: { ...values, email: opened.email }, errors,
      countries: countries(req.locale), documentTypes, mode: 'register', base: `/invitations/${token}`,
    }, status);
  };

  // Guards every handler below: a closed link gets the page that says why.
  const page = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (err instanceof InvitationClosed) return closedPage(req, res, err);
      throw err;
    }
  };

  router.get('/invitations/confirm/:token', page(async (req, res) => {
    const token = tokenOf(req);
    await acceptance.checkConfirmation(token);
    issueCsrfToken(req, res);
    await res.renderPage('invitations/confirm', { title: req.t('invitations.confirm.title'), token });
  }));

  router.post('/invitations/confirm/:token', page(async (req, res) => {
    const token = tokenOf(req);
    const { email } = await acceptance.confirm(token, requestMeta(req));
    if (req.user && req.user.email === email) {
      flash(req, { type: 'success', key: 'invitations.confirmed' });
      return res.redirect(303, '/accounts');
    }
    issueCsrfToken(req, res);
    await res.renderPage('invitations/confirmed', { title: req.t('invitations.confirmed'), email });
  }));

  router.get('/invitations/:token', page(async (req, res) => {
    const token = tokenOf(req);
    const opened = await acceptance.open(token);
    if (!opened.hasLogin) return registerPage(req, res, token, prefilled(opened.contact), {});
    // Signing in comes back here (the login page's return address), then "Aceitar convite".
    if (!req.user) req.session.returnTo = `/invitations/${token}`;
    issueCsrfToken(req, res);
    await res.renderPage('invitations/sign-in', { title: req.t('invitations.signIn.title'), opened, token, signedInAs: req.user?.email ?? null });
  }));

  router.post('/invitations/:token/accept', page(async (req, res) => {
    const token = tokenOf(req);
    if (!req.user) {
      req.session.returnTo = `/invitations/${token}`;
      return res.redirect(303, '/login');
    }
    try {
      const accountId = await acceptance.accept(token, req.user, requestMeta(req));
      flash(req, { type: 'success', key: 'invitations.joined' });
      res.redirect(303, `/accounts/${accountId}`);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      const opened = await acceptance.open(token);
      issueCsrfToken(req, res);
      await res.renderPage('invitations/sign-in', { title: req.t('invitations.signIn.title'), opened, token, signedInAs: req.user.email, error: req.t(err.messageKey, err.params) }, err.status);
    }
  }));

  router.post('/invitations/:token', page(async (req, res) => {
    const token = tokenOf(req);
    const values = formValues(req.body);
    const password = typeof req.body.password === 'string' ? req.body.password : '';
    const passwordConfirmation = typeof req.body.passwordConfirmation === 'string' ? req.body.passwordConfirmation : '';
    let email: string;
    try {
      email = await acceptance.register(token, { ...values, password, passwordConfirmation }, req.locale, requestMeta(req));
    } catch (err) {
      if (err instanceof ValidationFailed) return registerPage(req, res, token, values, err.fields, 422);
      if (err instanceof LoginExists) return res.redirect(303, `/invitations/${token}`);
      throw err;
    }
    await res.renderPage('invitations/check-mail', { title: req.t('invitations.checkMail.title'), email });
  }));

  // The registration form's inline checks and its re-render when the country changes (views/contacts/_field.ejs).
  router.post('/invitations/:token/validate', page(async (req, res) => {
    const opened = await acceptance.open(tokenOf(req));
    const field = String(req.get('hx-trigger-name') ?? req.body.field ?? '');
    if (!['country', 'name', 'document', 'documentType', 'areaCode', 'phone'].includes(field)) throw new NotFound();
    const values = { ...formValues(req.body), email: opened.email };
    const errors = acceptance.validateFields(opened.email, values);
    res.render('contacts/_field', { field: field === 'documentType' ? 'document' : field, values, errors, base: `/invitations/${req.params.token}`, countries: countries(req.locale), documentTypes });
  }));

  router.post('/invitations/:token/form', page(async (req, res) => {
    const opened = await acceptance.open(tokenOf(req));
    res.render('invitations/_register-form', { values: { ...formValues(req.body), email: opened.email }, errors: {}, base: `/invitations/${req.params.token}`, countries: countries(req.locale), documentTypes, password: '' });
  }));

  return router;
}

/** The administrator's data for the person, when the add form gave it; an address alone gives none. */
function prefilled(contact: Parameters<typeof valuesOf>[0]): ContactFormValues {
  return contact.document_number ? valuesOf(contact) : { ...formValues(), country: contact.country };
}
