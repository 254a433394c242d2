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
  };
}
