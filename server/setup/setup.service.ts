import type { Knex } from 'knex';
import { cnpj } from 'cpf-cnpj-validator';
import { z } from 'zod';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Actor, AuditService } from '../audit/audit.service';
import { ContactLedger } from '../contacts/contact-ledger';
import { NotFound, ValidationFailed, type FieldErrors } from '../errors';
import { passwordProblem } from '../users/password-rules';
import { hashPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { email, optionalText, parseInput, text } from '../validation';
import { setupCodeMatches } from './setup-code';
import { inTransaction } from '../db/transaction';

export const setupSchema = z
  .object({
    companyName: text(150),
    cnpj: optionalText(20).refine((v) => v === undefined || cnpj.isValid(v), 'validation.cnpj'),
    name: text(150),
    email,
    // Length and strength are the registration's rules (passwordProblem), checked in parseWithCode.
    password: z.string({ message: 'validation.required' }).min(1, 'validation.required'),
    passwordConfirmation: z.string({ message: 'validation.required' }),
  })
  .refine((v) => v.password === v.passwordConfirmation, { path: ['passwordConfirmation'], message: 'validation.passwordMismatch' });

/**
 * First run: the first account and its primary administrator, possible only on an empty database
 * and only with the one-time code printed on the console at start-up (`setupCode`).
 */
export class SetupService {
  private readonly accounts: AccountRepository;
  private readonly users: UserRepository;

  constructor(private readonly db: Knex, private readonly audit: AuditService, private setupCode: string | null = null) {
    this.accounts = new AccountRepository(db);
    this.users = new UserRepository(db);
  }

  isNeeded(): Promise<boolean> {
    return this.accounts.any().then((any) => !any);
  }

  async createFirstAccount(input: unknown, meta: Omit<Actor, 'userId' | 'contactId' | 'name'>): Promise<{ accountId: number; userId: number }> {
    const data = await this.parseWithCode(input);
    const passwordHash = await hashPassword(data.password);
    const create = inTransaction(this.db, async (trx) => {
      if (await this.accounts.anyLocked(trx)) throw new NotFound();
      const existing = await this.users.findByEmail(data.email, trx);
      const userId = existing?.id ?? (await this.users.create(trx, { email: data.email, name: data.name, passwordHash }));
      if (existing) await this.users.update(trx, userId, { password_hash: passwordHash, name: data.name });
      const accountId = await this.accounts.create(trx, { name: data.companyName, document: data.cnpj ? cnpj.strip(data.cnpj).toUpperCase() : null });
      const ledger = new ContactLedger(this.db);
      const [contactId] = (await ledger.enter(trx, await ledger.lockAccount(trx, accountId), [{
        user_id: userId, status: 'active', profile: 'administrator', name: data.name, email: data.email, country: 'BR',
      }])) as [number];
      await this.accounts.update(trx, accountId, { owner_contact_id: contactId });
      await this.audit.record(trx, { ...meta, userId, contactId, name: data.name }, {
        accountId, action: 'account.created', target: { type: 'account', id: accountId },
        details: { after: { name: data.companyName, document: data.cnpj ?? null, owner: data.email } },
      });
      return { accountId, userId };
    });
    // The loser of two simultaneous setups (MySQL's deadlock on the locked empty range) finds
    // setup gone, like any later visitor.
    const created = await create.catch((err: unknown) => {
      if ((err as { code?: string }).code === 'ER_LOCK_DEADLOCK') throw new NotFound();
      throw err;
    });
    this.setupCode = null;
    return created;
  }

  /** The form's fields, its password's strength and its code, every error reported at once. */
  private async parseWithCode(input: unknown): Promise<z.infer<typeof setupSchema>> {
    const given = input as { setupCode?: unknown; password?: unknown; email?: unknown } | null;
    const errors: FieldErrors = setupCodeMatches(this.setupCode, given?.setupCode) ? {} : { setupCode: { key: 'setup.codeWrong' } };
    let data: z.infer<typeof setupSchema> | undefined;
    try {
      data = parseInput(setupSchema, input);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      Object.assign(errors, err.fields);
    }
    const password = given?.password;
    const email = data?.email ?? (typeof given?.email === 'string' ? given.email.trim() : '');
    const problem = typeof password === 'string' && password ? await passwordProblem(password, email) : null;
    if (problem) errors.password = { key: problem };
    if (Object.keys(errors).length || !data) throw new ValidationFailed(errors);
    return data;
  }
}
