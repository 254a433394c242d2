import { cpfSearchDigits } from './identity';

/**
 * The contact search, as pure functions. A contact's `search` column holds the words it can be
 * found by, folded, each after a space: " maria silva 01234567890 maria.silva@x.com silva@x.com".
 * A typed word matches when some stored word starts with it (`search LIKE '% word%'`), so the
 * column is written in the same row as the contact and read from the list index, in list order.
 */

/** Longest `search` kept (the column's size): words past it are left out whole. */
export const SEARCH_TEXT_MAX = 500;
const MAX_WORDS = 5;
const MAX_WORD = 100;

/** Lower-case, accents removed: "João" and "joao" are the same word to a search. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The longest name (the column's size): the sort key is cut the same way. */
const NAME_MAX = 150;

/**
 * Where a name goes in the list: folded, so "Álvaro" sorts among the A and "beatriz" before
 * "Bruno" on both databases (the column compares bytes on MySQL too). A cursor's name folds the
 * same way, so paging seeks to exactly where the page ended.
 */
export function sortNameOf(name: string): string {
  return fold(name).trim().slice(0, NAME_MAX);
}

const wordsOf = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/**
 * The e-mail from each later word of its name part on ("vera.batista2@x.com" → "batista2@x.com"):
 * someone typing "batista2" finds it as they find a name word.
 */
function emailWordStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  return [...local.matchAll(/[^\p{L}\p{N}]+/gu)].map((m) => m.index + m[0].length).filter((start) => start < local.length).map((start) => email.slice(start));
}

/**
 * The e-mail's domain from each of its parts on ("vera@aurora.com.br" → "aurora.com.br",
 * "com.br", "br"): someone typing the company's domain, or "aurora", finds its people.
 */
function emailDomainStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  if (at < 0) return [];
  const domain = email.slice(at + 1);
  return [0, ...[...domain.matchAll(/\./g)].map((m) => m.index + 1)].filter((start) => start < domain.length).map((start) => domain.slice(start));
}

/**
 * What a contact can be found by: each word of its name, its document without mask, its e-mail,
 * the e-mail from each later word of its name part, and its domain from each of its parts. Name
 * words come first, so a very long e-mail never pushes them out.
 */
export function searchTextOf(contact: { name: string; email: string; document_number?: string | null }): string {
  const email = fold(contact.email.trim());
  const document = contact.document_number ? fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, '') : '';
  const words = new Set([...wordsOf(contact.name), document, ...(email ? [email, ...emailWordStarts(email), ...emailDomainStarts(email)] : [])]);
  let text = '';
  for (const word of words) {
    if (!word || text.length + 1 + word.length > SEARCH_TEXT_MAX) continue;
    text += ` ${word}`;
  }
  return text;
}

/**
 * What the user typed, as words that must all match: a CPF typed with or without mask is its
 * digits; a word with "@" is an e-mail prefix; anything else is split into words.
 */
export function parseSearch(query: string): string[] {
  const q = query.trim().slice(0, 200);
  if (!q) return [];
  const digits = cpfSearchDigits(q);
  if (digits) return [digits];
  const words: string[] = [];
  for (const token of q.split(/\s+/)) {
    if (token.includes('@')) words.push(fold(token));
    else words.push(...wordsOf(token));
  }
  return [...new Set(words.map((w) => w.slice(0, MAX_WORD)))].slice(0, MAX_WORDS);
}

/** The LIKE escape character: portable (SQLite's ESCAPE needs one character; MySQL's default is `\`). */
export const LIKE_ESCAPE = '!';

/** `search LIKE ? ESCAPE '!'` pattern: some stored word starts with `word`. */
export function searchPattern(word: string): string {
  return `% ${word.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c)}%`;
}

