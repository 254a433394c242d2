import type { Knex } from 'knex';
import type { AccountRow } from '../accounts/accounts.repository';
import type { Actor } from '../audit/audit.service';
import type { Locale } from '../i18n';

/**
 * What the import needs of invitations, handed in at composition (server/services.ts): the access
 * rule of every invitation (nobody grants a profile whose flags they lack) and the bulk invitation
 * of the contacts a batch wrote, in that batch's transaction.
 */
export interface ImportInvitations {
  accessOf(inviterFlags: ReadonlySet<string>, profile: unknown, flags: unknown): { profile: string; flags: string[] };
  inviteInBulk(trx: Knex.Transaction, inviter: Actor, account: AccountRow, contacts: { contactId: number; email: string }[], locale: Locale): Promise<void>;
}
