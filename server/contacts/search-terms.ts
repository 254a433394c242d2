import { cpfSearchDigits } from './identity';

const MAX_TERM = 100;

/**
 * Marks an e-mail term that a search by letters never needs: its leading letters are (the start
 * of) a word of the contact's own name ("maria.silva@…" of Maria Silva), so any word of letters
 * it starts with already finds the contact through the name. Marked, it sorts outside every
 * letter range: a search for "maria" reads the Marias once, not once more for each of their
 * e-mails. Searches with digits or "@" read both ranges (`prefixesOf`).
 */
export const SHADOWED_EMAIL = '@';

/** Lower-case, accents removed: "João" and "joao" are the same word to a search. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const words = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** A word of letters only: the searches that skip shadowed e-mails and can use name-word counts. */
export const isLetterWord = (word: string) => /^\p{L}+$/u.test(word);

/** The distinct words of a name, as stored (and counted in `contact_search_words`). */
export function nameWordsOf(name: string): string[] {
  return [...new Set(words(name).map((w) => w.slice(0, MAX_TERM)))];
}

/** What a contact can be found by: each word of the name, the e-mail, the document digits. */
export function searchTermsOf(contact: { name: string; email: string; document_number?: string | null }): string[] {
  const nameWords = words(contact.name);
  const terms = new Set<string>(nameWords.map((w) => w.slice(0, MAX_TERM)));
  const email = contact.email.toLowerCase();
  const lead = /^\p{L}*/u.exec(email)![0];
  const shadowed = lead !== '' && nameWords.some((w) => w.startsWith(lead));
  if (email) terms.add((shadowed ? SHADOWED_EMAIL + email : email).slice(0, MAX_TERM));
  if (contact.document_number) terms.add(fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, '').slice(0, MAX_TERM));
  return [...terms].filter(Boolean);
}

/** The stored-term prefixes a search word matches: a word with digits or "@" also reads shadowed e-mails. */
export function prefixesOf(word: string): string[] {
  if (isLetterWord(word)) return [word];
  // No e-mail starts with "@": such a word can only be the start of a shadowed term's own marker.
  return word.startsWith(SHADOWED_EMAIL) ? [] : [word, (SHADOWED_EMAIL + word).slice(0, MAX_TERM)];
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
