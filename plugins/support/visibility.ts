import type { PluginRequest } from 'portal/plugin';
import type { Visibility } from './repository';

/** Who may hold tickets: the receiver of a transfer must have it. */
export const PORTAL_FLAG = 'support.portal';
export const BPO_FLAG = 'support.bpo-full';
export const RESTRICTED_FLAG = 'support.restricted';
export const TRANSFER_FLAG = 'support.transfer';

/**
 * The visibility rule table of docs/plugins.md, for anyone whose flags `can` answers (the signed-in
 * person, or a transfer's receiver): a narrowing flag wins over the BPO one.
 */
export function visibilityFor(contactId: number, can: (key: string) => boolean): Visibility {
  if (can(RESTRICTED_FLAG)) return { kind: 'own', contactId };
  if (can(BPO_FLAG)) return { kind: 'all' };
  return { kind: 'own-and-non-bpo', contactId };
}

/** What the signed-in person sees. */
export function visibilityOf(req: PluginRequest): Visibility {
  return visibilityFor(req.ctx.contact.id, req.ctx.can);
}
