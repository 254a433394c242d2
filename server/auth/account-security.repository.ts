import type { Knex } from 'knex';

type Q = Knex | Knex.Transaction;

/** The company's security settings (`account_security`); an account without a row has the defaults. */
export class AccountSecurityRepository {
  async requiresSecondFactor(q: Q, accountId: number): Promise<boolean> {
    const row = await q('account_security').where({ account_id: accountId }).first('require_second_factor');
    return Boolean(row?.require_second_factor);
  }

  async setRequireSecondFactor(q: Q, accountId: number, value: boolean): Promise<void> {
    const updated = await q('account_security').where({ account_id: accountId }).update({ require_second_factor: value, updated_at: new Date() });
    if (updated === 0) await q('account_security').insert({ account_id: accountId, require_second_factor: value, updated_at: new Date() });
  }
}
