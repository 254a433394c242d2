import type { PluginContext, PluginRequest } from 'portal/plugin';

/** A positive id from the URL or a form, or 0. */
export const idParam = (raw: unknown) => {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
};

export const text = (raw: unknown) => (typeof raw === 'string' ? raw.trim() : '');

/** Names of the given contacts (a page's distinct owners), in one directory read. */
export async function namesOf(req: PluginRequest, ctx: PluginContext, ids: (number | null)[]): Promise<Map<number, string>> {
  return ctx.contacts.displayNames(req, ids.filter((id): id is number => Boolean(id)));
}
