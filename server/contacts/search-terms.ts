import { cpfSearchDigits } from './identity';

const MAX_TERM = 100;

/**
 * Marks a prefix term: `>mari` says "a word of this contact starts with the letters mari". Every
 * prefix of the leading letters of each name word, of the e-mail and of the document is stored
 * so: a search word of letters is then one exact term, read in list order from the term index
 * (26 entries for the first page of "mari", however many Marias, Marianas and Marios there are),
 * and checked for another word with one primary-key lookup. No whole term starts with `>`.
 */
export const PREFIX_MARK = '>';

/** Lower-case, accents removed: "João" and "joao" are the same word to a search. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const words = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** A word of letters only: found through the prefix terms. */
export const isLetterWord = (word: string) => /^\p{L}+$/u.test(word);

/** `>` + each prefix of the letters `term` starts with ("ab12" → >a, >ab). */
function letterPrefixes(term: string): string[] {
  const lead = /^\p{L}*/u.exec(fold(term))![0].slice(0, MAX_TERM - 1);
  return Array.from(lead, (_, i) => PREFIX_MARK + lead.slice(0, i + 1));
}

/**
 * The e-mail from each later word of its name part on ("vera.batista2@x.com" → "batista2@x.com"):
 * someone typing "batista2" or "vera.batista2" (without "@": two words) finds it as they find a
 * name word.
 */
function emailWordStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  return [...local.matchAll(/[^\p{L}\p{N}]+/gu)].map((m) => m.index + m[0].length).filter((start) => start < local.length).map((start) => email.slice(start));
}

/**
 * What a contact can be found by. A word of letters finds it through the prefix terms (see
 * PREFIX_MARK); a word with digits or "@" through the whole terms it can start: the e-mail
 * (lower-case) from each word of its name part, the document (letters and digits) and the name
 * words that hold digits (a word of letters only can never start with such a search word, so it
 * is not stored whole).
 */
export function searchTermsOf(contact: { name: string; email: string; document_number?: string | null }): string[] {
  const whole: string[] = [];
  const sources = words(contact.name);
  for (const w of sources) if (!isLetterWord(w)) whole.push(w);
  const email = contact.email.toLowerCase();
  if (email) {
    const starts = [email, ...emailWordStarts(email)];
    whole.push(...starts);
    sources.push(...starts);
  }
  if (contact.document_number) {
    const document = fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, '');
    whole.push(document);
    sources.push(document);
  }
  const terms = new Set<string>(whole.map((t) => t.slice(0, MAX_TERM)));
  for (const source of sources) for (const prefix of letterPrefixes(source)) terms.add(prefix);
  return [...terms].filter(Boolean);
}

/** The letter prefixes among a contact's terms, unmarked: what `contact_search_words` counts. */
export function countedPrefixesOf(terms: readonly string[]): string[] {
  return terms.filter((t) => t.startsWith(PREFIX_MARK)).map((t) => t.slice(PREFIX_MARK.length));
}

/** How a search word matches a contact's stored terms: one exact prefix term, or terms it starts. */
export type TermMatch = { exact: string } | { startsWith: string } | null;

export function termMatchOf(word: string): TermMatch {
  if (isLetterWord(word)) return { exact: (PREFIX_MARK + word).slice(0, MAX_TERM) };
  // No e-mail, document or name word starts with the mark: such a word matches nothing.
  return word.startsWith(PREFIX_MARK) ? null : { startsWith: word };
}

/** The same test in memory: whether a contact with `terms` matches `word` (the unit tests model the SQL with it). */
export function termsMatch(terms: readonly string[], word: string): boolean {
  const match = termMatchOf(word);
  if (!match) return false;
  return 'exact' in match ? terms.includes(match.exact) : terms.some((t) => t.startsWith(match.startsWith));
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
