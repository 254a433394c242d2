import { Router } from 'express';
import { requirePermission, requireStepUp } from '../http/guards';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { actingIn } from '../audit/actor';
import { answerForm, idParam } from '../http/forms';
import { flash } from '../http/locals';
import type { SecondFactorResetService } from './second-factor-reset.service';

/**
 * "Redefinir verificação em duas etapas" on a contact's page, mounted at
 * /accounts/:accountId/contacts/:contactId/second-factor (before the contacts router, whose guard
 * asks for another flag). The flag first (a Membro gets 403 without being asked to confirm), then
 * a fresh step-up of the administrator.
 */
export function secondFactorResetRoutes(resets: SecondFactorResetService) {
  const router = Router({ mergeParams: true });

  router.post('/reset', requirePermission(CORE_FLAGS.accountSettings), requireStepUp, async (req, res) => {
    const id = idParam(req, 'contactId');
    const back = `/accounts/${req.ctx!.account.id}/contacts/${id}`;
    await answerForm(req, res, async () => {
      const { name } = await resets.reset(actingIn(req), id);
      flash(req, { type: 'success', key: 'security.factorReset.done', params: { name } });
      res.redirect(303, back);
    }, { conflictTo: back });
  });

  return router;
}
