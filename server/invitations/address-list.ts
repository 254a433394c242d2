import { z } from 'zod';

export interface ParsedAddresses {
  /** Lower-cased, each once, in the order typed. */
  valid: string[];
  invalid: string[];
  /** As typed: the answer shows which entry repeated. */
  duplicates: string[];
}

const emailSchema = z.email();

/**
 * The "Convidar usuários" box: addresses separated by spaces, commas, semicolons or new lines
 * (a column pasted from a spreadsheet arrives as lines, a row as tabs).
 */
export function parseAddresses(text: string, max = 200): ParsedAddresses {
  const result: ParsedAddresses = { valid: [], invalid: [], duplicates: [] };
  const seen = new Set<string>();
  for (const raw of text.split(/[\s,;]+/u).filter(Boolean).slice(0, max)) {
    const address = raw.replace(/^<|>$/g, '').toLowerCase();
    if (address.length > 254 || !emailSchema.safeParse(address).success) result.invalid.push(raw);
    else if (seen.has(address)) result.duplicates.push(raw);
    else {
      seen.add(address);
      result.valid.push(address);
    }
  }
  return result;
}
