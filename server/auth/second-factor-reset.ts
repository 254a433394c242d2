import type { Knex } from 'knex';
import type { FactorKind } from './factor-notice';

/**
 * One kind of second factor an administrator's "Redefinir verificação em duas etapas" removes.
 * Each factor feature (TOTP with its recovery codes; passkeys) is one participant, handed to the
 * reset service by the app's composition (server/services.ts), so a reset removes every factor.
 */
export interface SecondFactorReset {
  /** What this participant holds for the login now (nothing when the list is empty). */
  held(userId: number): Promise<FactorKind[]>;
  /** Removes all of it inside the reset's transaction; answers what was removed (for the audit's "before"). */
  removeAll(trx: Knex.Transaction, userId: number): Promise<FactorKind[]>;
}
