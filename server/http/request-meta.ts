import type { Request } from 'express';

/** Where a request comes from, for the audit trail. */
export function requestMeta(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, requestId: String(req.id ?? '') || null };
}
