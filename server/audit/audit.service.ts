import type { Knex } from 'knex';
import { AuditRepository } from './audit.repository';
import { eventHash, FORMAT, splitPersonal } from './event-format';

/** Who did it and from where; built from the request by server/audit/actor.ts. */
export interface Actor {
  userId: number | null;
  contactId: number | null;
  name: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  /**
   * How the acting request was confirmed (a recent sign-in, or the password, a code, a passkey or
   * a QR approval on /step-up): set by actorFrom() on requests that passed requireStepUp. Kept in
   * the event's details under the reserved key `_stepUp`.
   */
  stepUp?: { method: string; at: string; device?: string | null; factor?: string | null };
}

export interface AuditEvent {
  accountId: number | null;
  action: string;
  target?: { type: string; id: number | string };
  details?: Record<string, unknown>;
}

/**
 * Every state change writes one event in the same transaction as the change. Events of an account
 * form a hash chain (each hash covers the previous one), so a removed or edited event shows.
 */
export class AuditService {
  private readonly repo = new AuditRepository();

  /**
   * Personal values (the actor's name, names, e-mails, CPFs masked, phones) go to `personal`, apart
   * from what the hash covers (server/audit/event-format.ts); callers just hand their details.
   */
  async record(trx: Knex.Transaction, actor: Actor, event: AuditEvent): Promise<void> {
    const head = await this.repo.lockHead(trx, event.accountId);
    // How the act was confirmed travels with the details (the reserved key `_stepUp`).
    const details = actor.stepUp ? { ...event.details, _stepUp: actor.stepUp } : event.details;
    const split = splitPersonal(details, actor.name);
    const row = {
      format: FORMAT,
      account_id: event.accountId,
      actor_user_id: actor.userId,
      actor_contact_id: actor.contactId,
      actor_name: null,
      action: event.action,
      target_type: event.target?.type ?? null,
      target_id: event.target ? String(event.target.id) : null,
      ...split,
      ip: actor.ip ?? null,
      user_agent: actor.userAgent?.slice(0, 255) ?? null,
      request_id: actor.requestId ?? null,
      created_at: new Date(),
      prev_hash: head.hash,
    };
    // The place is not hashed: the link to the predecessor's hash already fixes the order (docs/audit.md).
    const next = { hash: eventHash(row), seq: head.seq + 1 };
    await this.repo.insert(trx, { ...row, ...next });
    await this.repo.advanceHead(trx, event.accountId, next);
  }
}
