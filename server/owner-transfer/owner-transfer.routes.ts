import { Router, type Request, type Response } from 'express';
import { actingIn } from '../audit/actor';
import { requireStepUp } from '../http/guards';
import { Forbidden, type FieldErrors } from '../errors';
import { answerForm } from '../http/forms';
import { flash } from '../http/locals';
import type { OwnerTransferService } from './owner-transfer.service';

/** Menu entries only the primary administrator sees (no flag grants them: ownership does). */
export const OWNER_MENU = [{ label: 'owner.menu', path: '/owner' }] as const;

/** "Transferir administração", mounted at /accounts/:accountId/owner. */
export function ownerTransferRoutes(transfers: OwnerTransferService) {
  const router = Router({ mergeParams: true });

  const page = async (req: Request, res: Response, errors: FieldErrors = {}, values: Record<string, unknown> = {}, status = 200) => {
    const candidates = await transfers.candidates(actingIn(req), req.ctx!.account.ownerContactId);
    await res.renderPage('owner-transfer/transfer', { title: req.t('owner.title'), candidates, errors, values, action: `/accounts/${req.ctx!.account.id}/owner` }, status);
  };

  router.get('/', (req, res) => page(req, res));

  router.post('/', requireStepUp, async (req, res) => {
    const home = `/accounts/${req.ctx!.account.id}`;
    if (!req.ctx!.isOwner) throw new Forbidden('owner.errors.notOwner');
    // A 409: another transfer won the race (this person is no longer the owner), or a plugin's hook refused.
    await answerForm(req, res, async () => {
      const { receiverName } = await transfers.transfer(actingIn(req), req.body);
      flash(req, { type: 'success', key: 'owner.saved', params: { name: receiverName } });
      res.redirect(303, home);
    }, { invalid: (fields, status) => page(req, res, fields, req.body, status), conflictTo: home });
  });

  return router;
}
