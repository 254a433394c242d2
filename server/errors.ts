/**
 * Typed domain errors. Services throw them; server/http/errors.ts maps each to a status and a
 * translated message in one place. `messageKey` is an i18n key; `fields` holds per-field keys.
 */
export const DOMAIN_ERROR = Symbol.for('portal.domain-error');

/**
 * True for core's domain errors and for errors a plugin throws through the contract. A brand from
 * the global symbol registry, not `instanceof`: a plugin loaded through another module graph
 * (a test runner's, an npm package's) has its own copy of the classes.
 */
export function isDomainError(err: unknown): err is DomainError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[DOMAIN_ERROR] === true;
}

export class DomainError extends Error {
  readonly [DOMAIN_ERROR] = true;
  readonly status: number = 400;
  constructor(
    readonly messageKey: string,
    readonly params: Record<string, unknown> = {},
  ) {
    super(messageKey);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  override readonly status = 404;
  constructor(messageKey = 'errors.notFound.message') {
    super(messageKey);
  }
}

export class Forbidden extends DomainError {
  override readonly status = 403;
  constructor(messageKey = 'errors.forbidden.message') {
    super(messageKey);
  }
}

export type FieldErrors = Record<string, { key: string; params?: Record<string, unknown> }>;

export class ValidationFailed extends DomainError {
  override readonly status = 422;
  constructor(
    readonly fields: FieldErrors,
    messageKey = 'errors.validation',
  ) {
    super(messageKey);
  }
}

export class Conflict extends DomainError {
  override readonly status = 409;
}

export class SeatLimitReached extends DomainError {
  override readonly status = 409;
  constructor() {
    super('contacts.errors.seatLimit');
  }
}

export class TooManyAttempts extends DomainError {
  override readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super('auth.errors.tooManyAttempts', { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)) });
  }
}

/** An invitation or confirmation link that no longer opens anything; `state` says why. */
export class InvitationClosed extends DomainError {
  override readonly status = 410;
  constructor(readonly state: 'unknown' | 'expired' | 'used' | 'revoked') {
    super(`invitations.closed.${state}`);
  }
}

/** The invited e-mail already has a login: the person signs in with it to accept. */
export class LoginExists extends Conflict {
  constructor() {
    super('invitations.errors.hasLogin');
  }
}

/**
 * An import file that cannot be read at all (empty, not text, broken CSV, no usable header):
 * refused as a whole, before or while its rows are read, with a message key and its params
 * (e.g. `{ line }`). Problems of one row are not this: they are reported next to the row.
 */
export class ImportFileRefused extends DomainError {
  override readonly status = 422;
}

/**
 * Not a domain error: a plugin's hook failed (a bug, a table it expected) inside core's
 * transaction, which rolled back. The error page says so in words; the log names the plugin.
 */
export class PluginHookFailed extends Error {
  constructor(
    readonly plugin: string,
    readonly hook: string,
    override readonly cause: unknown,
  ) {
    super(`plugin "${plugin}" failed in its ${hook} hook: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PluginHookFailed';
  }
}
