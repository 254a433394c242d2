import type { PluginManifest } from './contract';

/** Core's flags by name: guards and `can()` take these, so a misspelt flag does not compile. */
export const CORE_FLAGS = {
  contactsManage: 'contacts.manage',
  contactsImport: 'contacts.import',
  contactsInvite: 'contacts.invite',
  auditView: 'audit.view',
  accountSettings: 'account.settings',
  documentsDownload: 'documents.download',
} as const;
export type CoreFlag = (typeof CORE_FLAGS)[keyof typeof CORE_FLAGS];

/**
 * The check on a flag name given to a guard or `can()`: a name written in core's code must be one
 * of core's (a misspelt one is `never`, a compile error); one read at run time, typed `string` (a
 * plugin's manifest, whose unknown flags the loader refuses at start-up), passes as it is. Use it
 * as `key: K & CheckedFlag<K>` with `K extends string`.
 */
export type CheckedFlag<K extends string> = string extends K ? K : K extends CoreFlag ? K : never;

const F = CORE_FLAGS;

/**
 * Core's own flags and menu entries, declared the way a plugin declares its own, so the editor, the
 * menu and the guards treat them alike. The loader puts it first in every registry.
 */
export const coreManifest: PluginManifest = {
  id: 'core',
  name: 'permissions.core.name',
  permissions: [
    { key: F.contactsManage, label: 'permissions.core.contactsManage', group: 'permissions.core.group' },
    { key: F.contactsImport, label: 'permissions.core.contactsImport', group: 'permissions.core.group' },
    { key: F.contactsInvite, label: 'permissions.core.contactsInvite', group: 'permissions.core.group' },
    { key: F.auditView, label: 'permissions.core.auditView', group: 'permissions.core.group' },
    { key: F.accountSettings, label: 'permissions.core.accountSettings', group: 'permissions.core.group' },
    { key: F.documentsDownload, label: 'permissions.core.documentsDownload', group: 'permissions.core.group' },
  ],
  profiles: {
    administrator: [F.contactsManage, F.contactsImport, F.contactsInvite, F.auditView, F.accountSettings, F.documentsDownload],
    member: [F.documentsDownload],
    observer_download: [F.documentsDownload],
    observer: [],
  },
  menu: [
    { label: 'menu.contacts', path: '/contacts', requires: F.contactsManage },
    { label: 'menu.groups', path: '/groups', requires: F.contactsManage },
    { label: 'menu.invitations', path: '/invitations', requires: F.contactsInvite },
    { label: 'menu.audit', path: '/audit', requires: F.auditView },
    { label: 'menu.privacy', path: '/privacy', requires: F.accountSettings },
  ],
};
