import { Router, type Request, type Response } from 'express';
import { actorFrom } from '../audit/actor';
import { requireStepUp } from '../http/guards';
import { Forbidden, isDomainError, ValidationFailed, type FieldErrors } from '../errors';
import { flash } from '../http/locals';
import type { OwnerTransferCaller, OwnerTransferService } from './owner-transfer.service';

/** Menu entries only the primary administrator sees (no flag grants them: ownership does). */
export const OWNER_MENU = [{ label: 'owner.menu', path: '/owner' }] as const;

const callerOf = (req: Request): OwnerTransferCaller => ({ accountId: req.ctx!.account.id, contactId: req.ctx!.contact.id, actor: actorFrom(req) });

/** "Transferir administração", mounted at /accounts/:accountId/owner. */
export function ownerTransferRoutes(transfers: OwnerTransferService) {
  const router = Router({ mergeParams: true });

  const page = async (req: Request, res: Response, errors: FieldErrors = {}, values: Record<string, unknown> = {}, status = 200) => {
    const candidates = await transfers.candidates(callerOf(req), req.ctx!.account.ownerContactId);
    await res.renderPage('owner-transfer/transfer', { title: req.t('owner.title'), candidates, errors, values, action: `/accounts/${req.ctx!.account.id}/owner` }, status);
  };

  router.get('/', (req, res) => page(req, res));

  router.post('/', requireStepUp, async (req, res) => {
    const home = `/accounts/${req.ctx!.account.id}`;
    if (!req.ctx!.isOwner) throw new Forbidden('owner.errors.notOwner');
    let receiverName: string;
    try {
      ({ receiverName } = await transfers.transfer(callerOf(req), req.body));
    } catch (err) {
      if (err instanceof ValidationFailed) return page(req, res, err.fields, req.body, 422);
      // Another transfer won the race (this person is no longer the owner), or a plugin's hook refused.
      if (isDomainError(err) && err.status === 409) {
        flash(req, { type: 'error', key: err.messageKey, params: err.params });
        return res.redirect(303, home);
      }
      throw err;
    }
    flash(req, { type: 'success', key: 'owner.saved', params: { name: receiverName } });
    res.redirect(303, home);
  });

  return router;
}
