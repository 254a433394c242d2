import type { NextFunction, Request, Response } from 'express';
import { NotFound } from '../errors';
import type { CheckedFlag } from '../plugins/core-manifest';
import { positiveId } from '../http/forms';
import type { AccountService } from './accounts.service';

/** The current account as the signed-in contact sees it; loaded once per request. */
export interface AccountContext {
  account: {
    id: number;
    name: string;
    ownerContactId: number | null;
    seatLimit: number;
    /** Per-status counters as of this request (pending + active use seats). */
    counts: { active: number; pending: number; deactivated: number };
  };
  contact: { id: number; name: string; profile: string };
  isOwner: boolean;
  /** In how many companies the signed-in user is an active contact (this one included). */
  companies: number;
  permissions: ReadonlySet<string>;
  can<K extends string>(key: K & CheckedFlag<K>): boolean;
}

/** What a contact may do: the permissions feature answers it (handed in by the app's composition). */
export interface AccessPolicy {
  /** From the grants the membership read brought (no statement of its own). */
  accessFrom(contact: { profile: string; isOwner: boolean; extraFlags: readonly string[] }): Pick<AccountContext, 'permissions' | 'can'>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by accountContext on every page below `/accounts/:accountId`. */
      ctx?: AccountContext;
    }
  }
}

/**
 * Loads the account from `:accountId` and the signed-in user's contact in it, with its grants, on
 * every request (one statement), so a deactivation or a permission change applies on the contact's
 * next request. An account the user
 * is not an active member of answers 404, never revealing that it exists. The page and the layout
 * see the context as `ctx`.
 */
export function accountContext(accounts: AccountService, access: AccessPolicy) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const accountId = positiveId(req.params.accountId);
    if (accountId === null || !req.user) throw new NotFound();
    const m = await accounts.activeMembership(accountId, req.user.id);
    if (!m) throw new NotFound();
    const isOwner = m.owner_contact_id === m.contact_id;
    const { permissions, can } = access.accessFrom({ profile: m.profile, isOwner, extraFlags: m.extra_flags });
    req.ctx = {
      account: {
        id: m.account_id, name: m.account_name, ownerContactId: m.owner_contact_id, seatLimit: m.seat_limit,
        counts: { active: m.active_count, pending: m.pending_count, deactivated: m.deactivated_count },
      },
      contact: { id: m.contact_id, name: m.contact_name, profile: m.profile },
      isOwner,
      companies: m.company_count,
      permissions,
      can,
    };
    res.locals.ctx = req.ctx;
    next();
  };
}
