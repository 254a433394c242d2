import type { Knex } from 'knex';
import { SearchIndexRepository, type WordCount } from './search-index.repository';
import { fold } from './search-terms';

/**
 * Rebuilding the search tables from `contacts`, for the migrations that change what is stored.
 * Each migration passes the rules of its own version (the ones below are frozen copies of earlier
 * versions of `searchTermsOf`), so migrating up or down gives the same tables whenever it runs.
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

const BATCH = 1000;

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
  // Words that only MySQL's collation makes equal ("strauß"/"straus") add up in one row there.
  if (rules.countedOf) await new SearchIndexRepository().addWordCounts(knex, [...counts.values()]);
}

const words = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const cut = (t: string) => t.slice(0, 100);
const documentTerm = (d: string | null) => (d ? fold(d).replace(/[^\p{L}\p{N}]/gu, '') : '');

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
