import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { MemberContextRepository } from '../accounts/member-context.repository';
import { Forbidden, NotFound } from '../errors';
import { can, effectivePermissions } from '../permissions/policy';
import type { Registry } from '../plugins/registry';

export function requireLogin(req: Request, res: Response, next: NextFunction) {
  if (req.isAuthenticated()) return next();
  if (req.method === 'GET' && req.accepts('html')) {
    if (req.session) req.session.returnTo = req.originalUrl;
    if (req.get('hx-request') === 'true') {
      res.set('HX-Redirect', '/login').status(401).end();
      return;
    }
    return res.redirect('/login');
  }
  res.status(401).type('text').send('Unauthorized');
}

/**
 * Loads the account from `:accountId` and the signed-in user's contact in it on every request, so
 * a deactivation or a permission change applies on the contact's next request. An account the user
 * is not an active member of answers 404, never revealing that it exists. On account pages the
 * member context usually comes read with the session, in the same statement (SessionStore.get).
 */
export function accountContext(db: Knex, registry: Registry) {
  const members = new MemberContextRepository(db);
  return async (req: Request, _res: Response, next: NextFunction) => {
    const accountId = Number(req.params.accountId);
    if (!Number.isSafeInteger(accountId) || accountId <= 0 || !req.user) throw new NotFound();
    const pre = req.prefetchedMember;
    const member = pre && pre.accountId === accountId && pre.userId === req.user.id ? pre.member : await members.load(accountId, req.user.id);
    if (!member || member.membership.status !== 'active') throw new NotFound();
    const { membership: m, extraFlags: extra } = member;
    const isOwner = m.owner_contact_id === m.contact_id;
    const permissions = effectivePermissions(registry, { profile: m.profile, isOwner, extraFlags: extra });
    req.ctx = {
      account: {
        id: m.account_id, name: m.account_name, ownerContactId: m.owner_contact_id, seatLimit: m.seat_limit,
        counts: { active: m.active_count, pending: m.pending_count, deactivated: m.deactivated_count },
      },
      contact: { id: m.contact_id, name: m.contact_name, profile: m.profile },
      isOwner,
      permissions,
      can: (key) => can(permissions, key),
    };
    next();
  };
}

/** The one route guard: 403 unless the current contact holds `key` in this account. */
export function requirePermission(key: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.ctx?.can(key)) throw new Forbidden();
    next();
  };
}
