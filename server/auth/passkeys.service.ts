import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Knex } from 'knex';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { NotFound, ValidationFailed } from '../errors';
import { UserRepository } from '../users/users.repository';
import type { FactorKind, FactorNotices } from './factor-notice';
import { PasskeyRepository, type PasskeyRow } from './passkeys.repository';
import type { SecondFactorReset } from './second-factor-reset';
import { inTransaction } from '../db/transaction';

// Imported on the first passkey ceremony: loading the library (and its ASN.1 and COSE modules) took
// ~0.4-0.7 s of every start-up, for a page few people open.
const webauthn = () => import('@simplewebauthn/server');
const base64url = async () => (await import('@simplewebauthn/server/helpers')).isoBase64URL;

const RP_NAME = 'Portal do Cliente';
const NAME_MAX = 60;
/** How long the browser lets the person answer the authenticator (a phone over Bluetooth is slow). */
const CEREMONY_MS = 3 * 60_000;

/**
 * The relying party: the id is the host name people see (no port, no scheme), the origin the full
 * scheme://host:port. Both come from PUBLIC_URL, so behind a proxy it must be the address the
 * browser shows, not the one the portal listens on.
 */
export interface RelyingParty {
  id: string;
  origin: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin };
}

/** What a ceremony proves and where it happens: sign-in after the password, or a step-up. */
export type PasskeyPurpose = 'sign-in' | 'step-up';

const refused = () => new ValidationFailed({ response: { key: 'security.passkeys.refused' } });

function parseJson<T>(input: unknown): T | null {
  if (typeof input !== 'string' || !input) return null;
  try {
    const value: unknown = JSON.parse(input);
    return value && typeof value === 'object' ? (value as T) : null;
  } catch {
    return null;
  }
}

/**
 * Passkeys (WebAuthn) as a second factor: register and name several, remove one, prove one at
 * sign-in or on a step-up. A registration proves nothing about the person (the session that makes
 * it is guarded by a step-up instead); only an assertion counts as a second factor. Challenges are
 * handed in by the caller, which keeps them in the session, single use.
 */
export class PasskeyService implements SecondFactorReset {
  private readonly repo = new PasskeyRepository();
  private readonly users: UserRepository;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly notices: FactorNotices,
    private readonly rp: RelyingParty,
  ) {
    this.users = new UserRepository(db);
  }

  hasPasskeys(userId: number): Promise<boolean> {
    return this.repo.hasAny(this.db, userId);
  }

  /** For an administrator's reset (SecondFactorReset): every passkey of the login. */
  async held(userId: number): Promise<FactorKind[]> {
    return (await this.hasPasskeys(userId)) ? ['passkey'] : [];
  }

  async removeAll(trx: Knex.Transaction, userId: number): Promise<FactorKind[]> {
    return (await this.repo.deleteAllOf(trx, userId)) > 0 ? ['passkey'] : [];
  }

  list(userId: number): Promise<PasskeyRow[]> {
    return this.repo.listOf(this.db, userId);
  }

  /** The name checked and the options for navigator.credentials.create(); the caller keeps the challenge. */
  async registrationOptions(user: { id: number; email: string; name: string }, nameInput: unknown): Promise<{ name: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const existing = await this.repo.listOf(this.db, user.id);
    const name = this.checkName(nameInput, existing);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: this.rp.id,
      userName: user.email,
      userDisplayName: user.name,
      // A stable handle per person, no e-mail in it: a device keeps one passkey per person and site.
      userID: new TextEncoder().encode(`portal-user-${user.id}`),
      timeout: CEREMONY_MS,
      attestationType: 'none',
      // The same authenticator twice would be one device under two names.
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    return { name, options };
  }

  /** Stores the new passkey; audited and told to the person by e-mail in the same transaction. */
  async register(actor: Me, expected: { challenge: string; name: string }, responseInput: unknown): Promise<PasskeyRow> {
    const response = parseJson<RegistrationResponseJSON>(responseInput);
    if (!response) throw refused();
    const name = this.checkName(expected.name, await this.repo.listOf(this.db, actor.userId));
    let verification;
    try {
      verification = await (await webauthn()).verifyRegistrationResponse({
        response,
        expectedChallenge: expected.challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: false,
      });
    } catch {
      throw refused();
    }
    if (!verification.verified) throw refused();
    const { credential } = verification.registrationInfo;
    return inTransaction(this.db, async (trx) => {
      if (await this.repo.credentialExists(trx, credential.id)) throw new ValidationFailed({ response: { key: 'security.passkeys.alreadyRegistered' } });
      const id = await this.repo.insert(trx, {
        userId: actor.userId, credentialId: credential.id, publicKey: (await base64url()).fromBuffer(credential.publicKey),
        counter: credential.counter, transports: credential.transports ?? response.response.transports ?? [], name,
      });
      await this.audit.record(trx, actor, { accountId: null, action: 'user.passkey_added', target: { type: 'user', id: actor.userId }, details: { passkeyId: id, name } });
      await this.notices.changed(trx, await this.owner(trx, actor.userId), { factor: 'passkey', change: 'added', label: name });
      return (await this.repo.findById(trx, actor.userId, id))!;
    });
  }

  /** The options for navigator.credentials.get(): only this person's passkeys are offered. */
  async authenticationOptions(userId: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = await this.repo.listOf(this.db, userId);
    if (!passkeys.length) throw new NotFound();
    return (await webauthn()).generateAuthenticationOptions({
      rpID: this.rp.id,
      timeout: CEREMONY_MS,
      allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: p.transports })),
      userVerification: 'preferred',
    });
  }

  /**
   * Checks an assertion against the challenge this session was given, with one of this user's own
   * passkeys (another person's credential is refused like a wrong one). The signature counter only
   * moves forward: a lower one means a cloned authenticator or a replay. Throws ValidationFailed.
   */
  async verify(actor: Me, purpose: PasskeyPurpose, challenge: string, responseInput: unknown, accountId: number | null = null): Promise<PasskeyRow> {
    const response = parseJson<AuthenticationResponseJSON>(responseInput);
    if (!response || typeof response.id !== 'string') throw refused();
    const passkey = await this.repo.findOfUser(this.db, actor.userId, response.id);
    if (!passkey) throw refused();
    let verification;
    try {
      verification = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: { id: passkey.credential_id, publicKey: (await base64url()).toBuffer(passkey.public_key), counter: passkey.counter, transports: passkey.transports },
        requireUserVerification: false,
      });
    } catch {
      throw refused();
    }
    if (!verification.verified) throw refused();
    await inTransaction(this.db, async (trx) => {
      if ((await this.repo.markUsed(trx, passkey.id, passkey.counter, verification.authenticationInfo.newCounter)) === 0) throw refused();
      await this.audit.record(trx, actor, { accountId: null, action: 'user.passkey_used', target: { type: 'user', id: actor.userId }, details: { passkeyId: passkey.id, purpose } });
      if (purpose === 'step-up') {
        await this.audit.record(trx, actor, { accountId: null, action: 'user.step_up_approved', target: { type: 'user', id: actor.userId }, details: { method: 'passkey', accountId } });
      }
    });
    return passkey;
  }

  /** Removes one of the person's own passkeys (another person's id is a 404). */
  async remove(actor: Me, passkeyId: number): Promise<PasskeyRow> {
    if (!Number.isSafeInteger(passkeyId) || passkeyId <= 0) throw new NotFound();
    return inTransaction(this.db, async (trx) => {
      const passkey = await this.repo.findById(trx, actor.userId, passkeyId);
      if (!passkey || (await this.repo.deleteOfUser(trx, actor.userId, passkeyId)) === 0) throw new NotFound();
      await this.audit.record(trx, actor, { accountId: null, action: 'user.passkey_removed', target: { type: 'user', id: actor.userId }, details: { passkeyId, name: passkey.name } });
      await this.notices.changed(trx, await this.owner(trx, actor.userId), { factor: 'passkey', change: 'removed', label: passkey.name });
      return passkey;
    });
  }

  private checkName(input: unknown, existing: PasskeyRow[]): string {
    // eslint-disable-next-line no-control-regex
    const name = String(input ?? '').replace(/[\u0000-\u001f\u007f]/g, '').replace(/\s+/g, ' ').trim();
    if (!name) throw new ValidationFailed({ name: { key: 'security.passkeys.nameRequired' } });
    if (name.length > NAME_MAX) throw new ValidationFailed({ name: { key: 'security.passkeys.nameTooLong', params: { max: NAME_MAX } } });
    if (existing.some((p) => p.name.toLocaleLowerCase() === name.toLocaleLowerCase())) throw new ValidationFailed({ name: { key: 'security.passkeys.nameTaken' } });
    return name;
  }

  private async owner(trx: Knex.Transaction, userId: number) {
    const user = await this.users.findById(userId, trx);
    if (!user) throw new NotFound();
    return { email: user.email, name: user.name, locale: user.locale };
  }
}
