import { cpfSearchDigits } from './identity';

const MAX_TERM = 100;

/** Lower-case, accents removed: "João" and "joao" are the same word to a search. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const words = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** What a contact can be found by: each word of the name, the e-mail, the document digits. */
export function searchTermsOf(contact: { name: string; email: string; document_number?: string | null }): string[] {
  const terms = new Set<string>(words(contact.name));
  terms.add(contact.email.toLowerCase());
  if (contact.document_number) terms.add(fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, ''));
  return [...terms].filter(Boolean).map((t) => t.slice(0, MAX_TERM));
}

/**
 * Turns what the user typed into prefix terms that must all match: "123.456" is CPF digits;
 * a word with "@" is an e-mail prefix; anything else is split into words, each a prefix.
 */
export function parseSearch(query: string): string[] {
  const q = query.trim().slice(0, 200);
  if (!q) return [];
  const digits = cpfSearchDigits(q);
  if (digits) return [digits];
  const terms: string[] = [];
  for (const token of q.split(/\s+/)) {
    if (token.includes('@')) terms.push(token.toLowerCase().slice(0, MAX_TERM));
    else for (const w of words(token)) terms.push(w.slice(0, MAX_TERM));
  }
  return terms.slice(0, 5);
}
