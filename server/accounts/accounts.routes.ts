import { Router } from 'express';
import { requireLogin } from '../http/guards';
import type { AccountService } from './accounts.service';

/** The account picker and each account's home page. */
export function accountRoutes(accounts: AccountService) {
  const router = Router();

  router.get('/accounts', requireLogin, async (req, res) => {
    const memberships = await accounts.activeMembershipsOfUser(req.user!.id);
    if (memberships.length === 1) return res.redirect(`/accounts/${memberships[0]!.account_id}`);
    await res.renderPage('accounts/picker', { title: req.t('accounts.pickerTitle'), memberships });
  });

  return router;
}

/** Mounted after the account context: `/accounts/:accountId`. */
export function accountHomeRoutes() {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    await res.renderPage('accounts/home', { title: req.ctx!.account.name });
  });
  return router;
}
