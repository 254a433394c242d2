import type { Request } from 'express';
import { requestMeta } from '../http/request-meta';
import type { Actor } from './audit.service';

/** Who is acting, for the audit trail: the signed-in user, their contact here, and where from. */
export function actorFrom(req: Request): Actor {
  return {
    userId: req.user?.id ?? null,
    contactId: req.ctx?.contact.id ?? null,
    name: req.ctx?.contact.name ?? req.user?.name ?? null,
    ...requestMeta(req),
    ...(req.stepUpConfirmation ? { stepUp: req.stepUpConfirmation } : {}),
  };
}

/**
 * Who is acting inside one company, as services take it: the contact, the flags they hold (nobody
 * grants or hands on what they do not hold) and the audit actor. A service that needs less takes a
 * `Pick` of it.
 */
export interface Acting {
  accountId: number;
  contactId: number;
  flags: ReadonlySet<string>;
  actor: Actor;
}

/** A signed-in person acting on their own login (Meu perfil, step-up, second factors): no company. */
export type Me = Actor & { userId: number };

const actingOf = new WeakMap<Request, Acting>();

/** The request's Acting, built once (below /accounts/:accountId, after the account context). */
export function actingIn(req: Request): Acting {
  let acting = actingOf.get(req);
  if (!acting) {
    if (!req.ctx) throw new Error('actingIn: no account context on this request (a route outside /accounts/:accountId)');
    acting = { accountId: req.ctx.account.id, contactId: req.ctx.contact.id, flags: req.ctx.permissions, actor: actorFrom(req) };
    actingOf.set(req, acting);
  }
  return acting;
}

/** The signed-in person, for the pages about their own login (after requireLogin). */
export function me(req: Request): Me {
  if (!req.user) throw new Error('me: nobody signed in on this request (requireLogin missing)');
  return { ...actorFrom(req), userId: req.user.id };
}
