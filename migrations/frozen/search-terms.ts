import type { Knex } from 'knex';

/**
 * The rules of the term tables that migrations 0002-0006 built (`contact_search_terms`,
 * `contact_search_words`), frozen here so those migrations, and 0007's way back down, give the
 * same tables whenever they run. Nothing in server/ uses these tables any more.
 */
export interface SearchRules {
  termsOf(contact: IndexedRow): string[];
  /** What `contact_search_words` counts for the contact (absent: the table is not filled). */
  countedOf?(terms: string[], contact: IndexedRow): string[];
}

interface IndexedRow {
  id: number;
  account_id: number;
  status: string;
  name: string;
  email: string;
  document_number: string | null;
}

interface WordCount {
  account_id: number;
  word: string;
  contacts: number;
}

const BATCH = 1000;
const MAX_TERM = 100;
const PREFIX_MARK = '>';

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const words = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const cut = (t: string) => t.slice(0, MAX_TERM);
const documentTerm = (d: string | null) => (d ? fold(d).replace(/[^\p{L}\p{N}]/gu, '') : '');
const isLetterWord = (word: string) => /^\p{L}+$/u.test(word);

/** Rewrites every contact's terms and, with `countedOf`, the counts (emptied first). */
export async function rebuildSearchIndex(knex: Knex, rules: SearchRules): Promise<void> {
  if (await knex.schema.hasTable('contact_search_words')) await knex('contact_search_words').delete();
  const counts = new Map<string, WordCount>();
  for (let after = 0; ; ) {
    const contacts: IndexedRow[] = await knex('contacts').select('id', 'account_id', 'status', 'name', 'email', 'document_number').where('id', '>', after).orderBy('id').limit(BATCH);
    if (contacts.length === 0) break;
    after = contacts[contacts.length - 1]!.id;
    const rows = contacts.flatMap((c) => {
      const terms = rules.termsOf(c);
      for (const word of rules.countedOf?.(terms, c) ?? []) {
        const key = `${c.account_id} ${word}`;
        const entry = counts.get(key) ?? { account_id: c.account_id, word, contacts: 0 };
        entry.contacts++;
        counts.set(key, entry);
      }
      return terms.map((term) => ({ account_id: c.account_id, term, contact_id: c.id, status: c.status, name: c.name }));
    });
    await knex('contact_search_terms').whereIn('contact_id', contacts.map((c) => c.id)).delete();
    for (let i = 0; i < rows.length; i += 200) await knex('contact_search_terms').insert(rows.slice(i, i + 200)).onConflict().ignore();
  }
  if (!rules.countedOf) return;
  // Words that only MySQL's collation makes equal ("strauß"/"straus") add up in one row there.
  const sum = knex.client.config.client === 'mysql2' ? knex.raw('contact_search_words.contacts + VALUES(contacts)') : knex.raw('contact_search_words.contacts + excluded.contacts');
  const sorted = [...counts.values()];
  for (let i = 0; i < sorted.length; i += 300) {
    await knex('contact_search_words').insert(sorted.slice(i, i + 300)).onConflict(['account_id', 'word']).merge({ contacts: sum });
  }
}

/** Migration 0002: each name word, the e-mail as typed (lower-case), the document digits. */
export const searchRulesV1: SearchRules = {
  termsOf: (c) => [...new Set([...words(c.name), c.email.toLowerCase(), documentTerm(c.document_number)].map(cut))].filter(Boolean),
};

/** Migration 0005: as 0002, with an e-mail whose leading letters start a name word marked "@"; counts name words. */
export const searchRulesV2: SearchRules = {
  termsOf: (c) => {
    const nameWords = words(c.name);
    const email = c.email.toLowerCase();
    const lead = /^\p{L}*/u.exec(email)![0];
    const shadowed = lead !== '' && nameWords.some((w) => w.startsWith(lead));
    return [...new Set([...nameWords, email ? (shadowed ? `@${email}` : email) : '', documentTerm(c.document_number)].map(cut))].filter(Boolean);
  },
  countedOf: (_terms, c) => [...new Set(words(c.name).map(cut))],
};

/** `>` + each prefix of the letters `term` starts with ("ab12" → >a, >ab). */
function letterPrefixes(term: string): string[] {
  const lead = /^\p{L}*/u.exec(fold(term))![0].slice(0, MAX_TERM - 1);
  return Array.from(lead, (_, i) => PREFIX_MARK + lead.slice(0, i + 1));
}

function emailWordStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  return [...local.matchAll(/[^\p{L}\p{N}]+/gu)].map((m) => m.index + m[0].length).filter((start) => start < local.length).map((start) => email.slice(start));
}

/** Migration 0006: every letter prefix of each name word, e-mail word start and document, marked `>`; counts the prefixes. */
export const searchRulesV3: SearchRules = {
  termsOf: (c) => {
    const whole: string[] = [];
    const sources = words(c.name);
    for (const w of sources) if (!isLetterWord(w)) whole.push(w);
    const email = c.email.toLowerCase();
    if (email) {
      const starts = [email, ...emailWordStarts(email)];
      whole.push(...starts);
      sources.push(...starts);
    }
    const document = documentTerm(c.document_number);
    if (document) {
      whole.push(document);
      sources.push(document);
    }
    const terms = new Set<string>(whole.map(cut));
    for (const source of sources) for (const prefix of letterPrefixes(source)) terms.add(prefix);
    return [...terms].filter(Boolean);
  },
  countedOf: (terms) => terms.filter((t) => t.startsWith(PREFIX_MARK)).map((t) => t.slice(PREFIX_MARK.length)),
};
