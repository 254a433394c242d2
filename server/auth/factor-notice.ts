import type { Knex } from 'knex';
import { DEFAULT_LOCALE, isLocale } from '../i18n';
import type { MailService } from '../mail/mail.service';

/** A way of proving who one is, besides the password. */
export type FactorKind = 'totp' | 'passkey' | 'recovery-codes';
/** What happened to it: the person added or removed it, or an administrator reset it. */
export type FactorChange = 'added' | 'removed' | 'reset';

export interface FactorOwner {
  email: string;
  name: string;
  locale: string | null;
}

/**
 * Every change to how a person signs in is told to that person by e-mail, in the change's own
 * transaction: someone who took over a session and enrolled a key of their own is then seen by the
 * real person, who can reset the password and ask an administrator to reset the factor.
 */
export class FactorNotices {
  constructor(private readonly mail: MailService) {}

  async changed(trx: Knex.Transaction, owner: FactorOwner, change: { factor: FactorKind; change: FactorChange; label?: string }): Promise<void> {
    await this.mail.enqueue(trx, {
      accountId: null,
      to: owner.email,
      locale: isLocale(owner.locale) ? owner.locale : DEFAULT_LOCALE,
      template: 'factor-changed',
      params: { name: owner.name, factor: change.factor, change: change.change, label: change.label ?? '', path: '/me' },
    });
  }
}
