import { Router } from 'express';
import { NotFound } from '../errors';
import { answerForm } from '../http/forms';
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
    await answerForm(req, res, async () => {
      await setup.createFirstAccount(req.body, requestMeta(req));
      flash(req, { type: 'success', key: 'setup.done' });
      res.redirect(303, `/login?email=${encodeURIComponent(String(req.body.email).trim().toLowerCase())}`);
    }, {
      invalid: (errors, status) => {
        const { password: _p, passwordConfirmation: _c, ...values } = req.body ?? {};
        return res.renderPage('setup/setup', { title: req.t('setup.title'), values: { ...blank, ...values }, errors }, status);
      },
    });
  });

  return router;
}
