import type { Knex } from 'knex';
import { insertId, toDate } from '../db/knex';
import type { SignInFactor } from '../http/guards';

export interface StepUpApprovalRow {
  id: number;
  user_id: number;
  asking_session: string;
  account_id: number | null;
  account_name: string | null;
  action: string;
  browser: string | null;
  ip: string | null;
  expires_at: Date;
  approved_at: Date | null;
  approved_factor: SignInFactor | null;
  approved_browser: string | null;
}

export interface NewApproval {
  userId: number;
  tokenHash: string;
  codeHash: string;
  askingSession: string;
  accountId: number | null;
  accountName: string | null;
  action: string;
  browser: string | null;
  ip: string | null;
  expiresAt: Date;
}

type Q = Knex | Knex.Transaction;
const columns = ['id', 'user_id', 'asking_session', 'account_id', 'account_name', 'action', 'browser', 'ip', 'expires_at', 'approved_at', 'approved_factor', 'approved_browser'];
const row = (r: StepUpApprovalRow | undefined) => (r ? { ...r, expires_at: toDate(r.expires_at)!, approved_at: toDate(r.approved_at) } : undefined);

/** QR approvals of step-ups (`step_up_approvals`), found by the hash of their link token or short code. */
export class StepUpApprovalRepository {
  insert(q: Q, a: NewApproval): Promise<number> {
    return insertId(q, 'step_up_approvals', {
      user_id: a.userId, token_hash: a.tokenHash, code_hash: a.codeHash, asking_session: a.askingSession,
      account_id: a.accountId, account_name: a.accountName, action: a.action, browser: a.browser, ip: a.ip,
      expires_at: a.expiresAt, approved_at: null, approved_factor: null, approved_browser: null, created_at: new Date(),
    });
  }

  async findByToken(q: Q, tokenHash: string): Promise<StepUpApprovalRow | undefined> {
    return row(await q('step_up_approvals').select(columns).where({ token_hash: tokenHash }).first());
  }

  /** A short code is looked up only among this person's approvals still waiting. */
  async findWaitingByCode(q: Q, userId: number, codeHash: string): Promise<StepUpApprovalRow | undefined> {
    return row(
      await q('step_up_approvals').select(columns)
        .where({ user_id: userId, code_hash: codeHash }).whereNull('approved_at').where('expires_at', '>', new Date())
        .first(),
    );
  }

  async findById(q: Q, id: number): Promise<StepUpApprovalRow | undefined> {
    return row(await q('step_up_approvals').select(columns).where({ id }).first());
  }

  /** 0 when it was approved already or has expired: an approval is given once. */
  approve(q: Q, id: number, factor: SignInFactor, browser: string | null): Promise<number> {
    return q('step_up_approvals').where({ id }).whereNull('approved_at').where('expires_at', '>', new Date())
      .update({ approved_at: new Date(), approved_factor: factor, approved_browser: browser });
  }

  /** The asking session's poll spends an approval: 1 for the poll that deleted it. */
  deleteById(q: Q, id: number): Promise<number> {
    return q('step_up_approvals').where({ id }).delete();
  }

  /** Approvals live two minutes: a new one clears the user's stale ones. */
  deleteExpired(q: Q, userId: number): Promise<number> {
    return q('step_up_approvals').where({ user_id: userId }).where('expires_at', '<', new Date()).delete();
  }
}
