import type { PluginContext, PluginRequest } from 'portal/plugin';

/** A positive id from the URL or a form, or 0. */
export const idParam = (raw: unknown) => {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
};

export const text = (raw: unknown) => (typeof raw === 'string' ? raw.trim() : '');

/**
 * Names of the given contacts, one directory look-up each: bounded by a page's distinct owners,
 * where listing the account's active contacts would read thousands of rows in a big company.
 */
export async function namesOf(req: PluginRequest, ctx: PluginContext, ids: (number | null)[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const id of new Set(ids)) {
    if (!id) continue;
    const name = await ctx.contacts.displayName(req, id);
    if (name) names.set(id, name);
  }
  return names;
}
