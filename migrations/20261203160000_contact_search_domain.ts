import type { Knex } from 'knex';

/**
 * A contact is also found by its e-mail's domain ("aurora", "exemplo.com.br"): `search` gains the
 * domain from each of its parts. Existing rows are rewritten here with this migration's frozen
 * copy of `searchTextOf` (server/contacts/search-text.ts); `down` writes them back without it.
 */
const SEARCH_TEXT_MAX = 500;
const BATCH = 1000;

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const wordsOf = (s: string) => fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

function emailWordStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  return [...local.matchAll(/[^\p{L}\p{N}]+/gu)].map((m) => m.index + m[0].length).filter((start) => start < local.length).map((start) => email.slice(start));
}

function emailDomainStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  if (at < 0) return [];
  const domain = email.slice(at + 1);
  return [0, ...[...domain.matchAll(/\./g)].map((m) => m.index + 1)].filter((start) => start < domain.length).map((start) => domain.slice(start));
}

function searchTextOf(contact: { name: string; email: string; document_number: string | null }, withDomain: boolean): string {
  const email = fold(contact.email.trim());
  const document = contact.document_number ? fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, '') : '';
  const emailWords = email ? [email, ...emailWordStarts(email), ...(withDomain ? emailDomainStarts(email) : [])] : [];
  let text = '';
  for (const word of new Set([...wordsOf(contact.name), document, ...emailWords])) {
    if (!word || text.length + 1 + word.length > SEARCH_TEXT_MAX) continue;
    text += ` ${word}`;
  }
  return text;
}

async function rewrite(knex: Knex, withDomain: boolean): Promise<void> {
  for (let after = 0; ; ) {
    const rows: { id: number; name: string; email: string; document_number: string | null }[] = await knex('contacts')
      .select('id', 'name', 'email', 'document_number').where('id', '>', after).orderBy('id').limit(BATCH);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    for (const c of rows) await knex('contacts').where({ id: c.id }).update({ search: searchTextOf(c, withDomain) });
  }
}

export const up = (knex: Knex) => rewrite(knex, true);
export const down = (knex: Knex) => rewrite(knex, false);
