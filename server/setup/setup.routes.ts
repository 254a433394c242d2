import { Router } from 'express';
import { NotFound, ValidationFailed } from '../errors';
import { flash, issueCsrfToken } from '../http/locals';
import { requestMeta } from '../http/request-meta';
import type { SetupService } from './setup.service';

/** GET/POST /setup: exists only while the database has no account. */
export function setupRoutes(setup: SetupService) {
  const router = Router();
  const blank = { setupCode: '', companyName: '', cnpj: '', name: '', email: '' };

  router.use('/setup', async (_req, _res, next) => {
    if (!(await setup.isNeeded())) throw new NotFound();
    next();
  });

  router.get('/setup', async (req, res) => {
    issueCsrfToken(req, res);
    await res.renderPage('setup/setup', { title: req.t('setup.title'), values: blank, errors: {} });
  });

  router.post('/setup', async (req, res) => {
    try {
      await setup.createFirstAccount(req.body, requestMeta(req));
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      const { password: _p, passwordConfirmation: _c, ...values } = req.body ?? {};
      return res.renderPage('setup/setup', { title: req.t('setup.title'), values: { ...blank, ...values }, errors: err.fields }, 422);
    }
    flash(req, { type: 'success', key: 'setup.done' });
    res.redirect(303, `/login?email=${encodeURIComponent(String(req.body.email).trim().toLowerCase())}`);
  });

  return router;
}
