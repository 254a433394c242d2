import { createHmac } from 'node:crypto';
import { maskCpf } from '../audit/event-format';

/** What is known of a person being erased: the contact row's values, or the trail's once it is gone. */
export interface Person {
  name: string | null;
  email: string | null;
  /** A CPF as 11 digits, a CPF masked by the trail (`***.982.247-**`), or another document's number. */
  document: string | null;
  phone: string | null;
}

/** Finds a trace in a table (`like`, `!` escapes) and replaces it in the text (`pattern`, global). */
export interface Needle {
  like: string;
  pattern: RegExp;
}

/**
 * The name the person leaves behind, the same in every table: derived from the server's secret and
 * the contact, so it can be told apart from other erased people but not traced back to anyone.
 */
export function pseudonymOf(secret: string, accountId: number, contactId: number): string {
  return `Pessoa removida #${createHmac('sha256', secret).update(`contact-erasure:${accountId}:${contactId}`).digest('hex').slice(0, 6)}`;
}

const like = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');

/** The middle six digits a masked CPF keeps, when `document` is a CPF (whole or masked). */
function cpfMiddle(document: string): string | null {
  const masked = /^\*{3}\.(\d{3})\.(\d{3})-\*{2}$/.exec(document);
  if (masked) return masked[1]! + masked[2]!;
  return /^\d{11}$/.test(document) ? document.slice(3, 9) : null;
}

/**
 * Every written form of the person's values: the e-mail, the name (also HTML-escaped, as mail
 * bodies hold it), the CPF bare, formatted and masked (from a masked CPF, any CPF with the same
 * middle digits: the trail keeps no more), another document, the phone. Short values (under 3
 * characters) are skipped: they would match unrelated text.
 */
export function needlesOf(person: Person): Needle[] {
  const needles: Needle[] = [];
  const add = (text: string | null | undefined) => {
    if (!text || text.length < 3 || needles.some((n) => n.like === like(text))) return;
    needles.push({ like: like(text), pattern: new RegExp(literal(text), 'gi') });
  };
  add(person.email);
  add(person.name);
  if (person.name && html(person.name) !== person.name) add(html(person.name));
  const middle = person.document ? cpfMiddle(person.document) : null;
  if (middle) {
    const [a, b] = [middle.slice(0, 3), middle.slice(3)];
    needles.push({ like: like(`${a}.${b}`), pattern: new RegExp(`(?:\\d{3}|\\*{3})\\.${a}\\.${b}-(?:\\d{2}|\\*{2})`, 'g') });
    needles.push({ like: like(middle), pattern: new RegExp(`(?<!\\d)\\d{3}${middle}\\d{2}(?!\\d)`, 'g') });
  } else if (person.document) {
    add(person.document);
  }
  if (person.phone && person.phone.replace(/\D/g, '').length >= 8) add(person.phone);
  return needles;
}

/** The masked CPF the trail holds for this person (what a personal value is compared with). */
export function trailDocument(document: string | null): string | null {
  if (!document) return null;
  return /^\d{11}$/.test(document) ? maskCpf(document) : document;
}
