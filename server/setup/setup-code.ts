import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';

// No 0/O nor 1/I: the code is read off a console and typed by hand. 12 of 32 symbols: 60 bits.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time code such as `K7QF-2MZD-W9XR`. */
export function newSetupCode(): string {
  const symbols = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return symbols.match(/.{4}/g)!.join('-');
}

/**
 * The code the first-run form asks for, so whoever reaches the port first cannot claim the portal:
 * made at start-up when the database has no account, null otherwise. `given`: the one code the
 * workers of one `npm start` share (any of them may answer /setup).
 */
export async function firstRunSetupCode(db: Knex, given?: string): Promise<string | null> {
  return (await new AccountRepository(db).any()) ? null : (given ?? newSetupCode());
}

/** Compares in constant time, ignoring case, spaces and dashes as people type them. */
export function setupCodeMatches(expected: string | null, given: unknown): boolean {
  if (!expected || typeof given !== 'string') return false;
  const digest = (code: string) => createHash('sha256').update(code.replace(/[\s-]/g, '').toUpperCase()).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
