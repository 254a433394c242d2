import type { Knex } from 'knex';
import type { AuditPeople, AuditVocabulary } from '../audit/audit-view.service';
import { summariseBrowser } from '../auth/step-up-details';
import { CONTACT_STATUSES, ContactRepository } from '../contacts/contacts.repository';
import { parseSearch } from '../contacts/search-text';
import { coreCatalogs, DEFAULT_LOCALE, type Catalog } from '../i18n';
import type { Registry } from '../plugins/registry';

/** The contacts the Auditoria page names and finds, read through the contacts feature's repository. */
export function auditPeople(db: Knex): AuditPeople {
  const contacts = new ContactRepository();
  return {
    async search(accountId, text, limit) {
      const words = parseSearch(text);
      if (!words.length) return [];
      // Each tab's slice of the list index, by name: a few rows each, whatever the account's size.
      const found = await Promise.all(CONTACT_STATUSES.map((status) => contacts.list(db, { accountId, status, words, sort: 'name', offset: 0, limit: limit - 1 })));
      return found.flat().slice(0, limit).map((c) => ({ id: Number(c.id), name: String(c.name), email: String(c.email) }));
    },
    idByEmail: (accountId, email) => contacts.findIdByEmail(db, accountId, email),
    byIds: (accountId, ids) => contacts.namesByIds(db, accountId, ids),
  };
}

/** Every action with a label (core's `audit.actions`, each plugin's `plugins.<id>.audit`), the flags' and plugins' names. */
export function auditVocabulary(registry: Registry): AuditVocabulary {
  const core = Object.keys(((coreCatalogs[DEFAULT_LOCALE].audit as Catalog).actions as Catalog) ?? {});
  const plugins = registry.plugins.flatMap((p) => {
    const own = ((p.locales?.[DEFAULT_LOCALE]?.plugins as Catalog | undefined)?.[p.id] as Catalog | undefined)?.audit;
    return own && typeof own === 'object' ? Object.keys(own).filter((k) => typeof own[k] === 'string').map((k) => `${p.id}.${k}`) : [];
  });
  const labels = new Map(registry.permissions.map((p) => [p.key, p.label]));
  const names = new Map(registry.plugins.filter((p) => p.id !== 'core').map((p) => [p.id, p.name]));
  return {
    actions: [...new Set([...core, ...plugins])],
    permissionLabel: (key) => labels.get(key) ?? key,
    pluginName: (ns) => names.get(ns),
    browserOf: (ua) => summariseBrowser(ua),
  };
}
