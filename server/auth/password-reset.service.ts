import type { Knex } from 'knex';
import type { Actor, AuditService } from '../audit/audit.service';
import { DomainError, ValidationFailed } from '../errors';
import { isLocale, type Locale } from '../i18n';
import { passwordProblem } from '../users/password-rules';
import type { MailJob, PreparedMail } from '../mail/mail-job';
import type { MailService } from '../mail/mail.service';
import { hashPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { foldEmail } from './auth.service';
import type { LoginLimiter } from './login-limiter';
import { hashOneTimeToken, newOneTimeToken } from './one-time-token';
import { SessionRepository } from './sessions.repository';
import { UserTokenRepository, type UserTokenRow } from './user-tokens.repository';
import { inTransaction } from '../db/transaction';

const RESET_MS = 60 * 60_000;
/** The mail job (mail-job.ts) a request queues; the mail worker runs prepareMail() for it. */
export const PASSWORD_RESET_JOB = 'password-reset';

export class ResetLinkInvalid extends DomainError {
  override readonly status = 404;
  constructor() {
    super('security.reset.invalid');
  }
}

/**
 * "Esqueci minha senha": a one-hour, single-use link by e-mail. The answer to a request is the
 * same whether the e-mail has a login or not, and so is the work behind it: the request only
 * queues a mail job, the same row for any address, and the mail worker looks the address up,
 * writes the token and renders the message (a request that did that for known addresses only
 * answered them measurably slower). Requests are limited per e-mail and per IP. A reset ends
 * every session of the person.
 */
export class PasswordResetService {
  private readonly users: UserRepository;
  private readonly tokens = new UserTokenRepository();
  private readonly sessions = new SessionRepository();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly limiter: LoginLimiter,
  ) {
    this.users = new UserRepository(db);
  }

  async request(actor: Actor, emailInput: unknown, ip: string, locale: Locale): Promise<void> {
    const email = String(emailInput ?? '').trim().toLowerCase().slice(0, 254);
    await this.limiter.consume(foldEmail(email), ip);
    if (!email) return;
    await inTransaction(this.db, (trx) => this.mail.enqueueJob(trx, { name: PASSWORD_RESET_JOB, to: email, locale, data: { actor } }));
  }

  /**
   * The mail worker's half of a request: for an address with a login, a new link (older ones
   * void), its message and the audit event, in the worker's transaction; null for any other.
   */
  async prepareMail(trx: Knex.Transaction, job: MailJob): Promise<PreparedMail | null> {
    const user = await this.users.findByEmail(job.to, trx);
    if (!user) return null;
    const actor = { userId: null, contactId: null, name: null, ...(job.data.actor as Partial<Actor> | undefined) };
    const locale = isLocale(user.locale) ? user.locale : isLocale(job.locale) ? job.locale : 'pt-BR';
    const { token, hash } = newOneTimeToken();
    await this.tokens.voidOpen(trx, user.id, 'password_reset');
    await this.tokens.insert(trx, { userId: user.id, purpose: 'password_reset', hash, expiresAt: new Date(Date.now() + RESET_MS) });
    await this.audit.record(trx, { ...actor, userId: user.id, name: user.name }, { accountId: null, action: 'user.password_reset_requested', target: { type: 'user', id: user.id } });
    const template = 'password-reset';
    const rendered = await this.mail.render({ locale, template, params: { name: user.name, path: `/password/reset/${token}` } });
    return { accountId: null, to: user.email, locale, template, ...rendered };
  }

  /** The open link, or ResetLinkInvalid (unknown, expired or used: the page says which to do next). */
  async open(token: string, q: Knex | Knex.Transaction = this.db): Promise<UserTokenRow> {
    const row = await this.tokens.findByHash(q, 'password_reset', hashOneTimeToken(token));
    if (!row || row.used_at || row.expires_at.getTime() <= Date.now()) throw new ResetLinkInvalid();
    return row;
  }

  async reset(actor: Actor, token: string, input: { password?: unknown; passwordConfirmation?: unknown }): Promise<void> {
    const link = await this.open(token);
    const user = await this.users.findById(link.user_id);
    if (!user) throw new ResetLinkInvalid();
    const password = String(input.password ?? '');
    const problem = await passwordProblem(password, user.email);
    if (problem) throw new ValidationFailed({ password: { key: problem } });
    if (password !== String(input.passwordConfirmation ?? '')) throw new ValidationFailed({ passwordConfirmation: { key: 'validation.passwordMismatch' } });
    const hash = await hashPassword(password);
    await inTransaction(this.db, async (trx) => {
      if ((await this.tokens.markUsed(trx, link.id)) === 0) throw new ResetLinkInvalid();
      await this.users.update(trx, user.id, { password_hash: hash });
      const endedSessions = await this.sessions.endOthers(trx, user.id, undefined);
      await this.audit.record(trx, { ...actor, userId: user.id, name: user.name }, {
        accountId: null, action: 'user.password_reset', target: { type: 'user', id: user.id }, details: { endedSessions },
      });
    });
  }
}
