import { createHash, randomBytes } from 'node:crypto';

/** A link token: 32 random bytes for the URL, and the SHA-256 hash that is all the database keeps. */
export function newOneTimeToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOneTimeToken(token) };
}

export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(String(token)).digest('hex');
}
