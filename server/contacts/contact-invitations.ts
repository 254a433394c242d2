import type { Knex } from 'knex';
import type { AccountRow } from '../accounts/accounts.repository';
import type { Actor } from '../audit/audit.service';
import type { Locale } from '../i18n';

/** What the list shows of a pending contact's latest invitation. */
export interface PendingInvitation {
  created_at: unknown;
  expires_at: unknown;
  invited_by_name: string | null;
  revoked_at: unknown;
}

/**
 * What contact administration needs of invitations, declared here and handed in at composition
 * (server/services.ts), so contacts never imports the invitations feature (which builds on it).
 */
export interface ContactInvitations {
  /**
   * The access an invitation may carry, by the batch invitation's rule: a known profile, or
   * "custom" with known flags, none of which the inviter lacks (ValidationFailed / Forbidden).
   */
  accessOf(inviterFlags: ReadonlySet<string>, profile: unknown, flags: unknown): { profile: string; flags: string[] };
  /** The invitation of a contact just added through the form, with its explicit flags, in that transaction (the account is locked). */
  inviteAdded(trx: Knex.Transaction, inviter: Actor, contact: { account: AccountRow; contactId: number; email: string; flags: string[] }, locale: Locale): Promise<void>;
  /** A deleted contact's open links stop working, in the deletion's transaction. */
  revokeFor(trx: Knex.Transaction, actor: Actor, accountId: number, contactId: number): Promise<void>;
  /** The latest invitation of each pending contact shown on a page of the list. */
  pendingDetails(accountId: number, contactIds: number[]): Promise<Map<number, PendingInvitation>>;
  /** How many pending contacts wait for an invitation (an import's "enviar convites depois"). */
  countWaiting(accountId: number): Promise<number>;
}
