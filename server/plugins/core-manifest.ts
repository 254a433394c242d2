import type { PluginManifest } from './contract';

/**
 * Core's own flags and menu entries, declared the way a plugin declares its own, so the editor, the
 * menu and the guards treat them alike. The loader puts it first in every registry.
 */
export const coreManifest: PluginManifest = {
  id: 'core',
  name: 'permissions.core.name',
  permissions: [
    { key: 'contacts.manage', label: 'permissions.core.contactsManage', group: 'permissions.core.group' },
    { key: 'contacts.import', label: 'permissions.core.contactsImport', group: 'permissions.core.group' },
    { key: 'contacts.invite', label: 'permissions.core.contactsInvite', group: 'permissions.core.group' },
    { key: 'audit.view', label: 'permissions.core.auditView', group: 'permissions.core.group' },
    { key: 'account.settings', label: 'permissions.core.accountSettings', group: 'permissions.core.group' },
    { key: 'documents.download', label: 'permissions.core.documentsDownload', group: 'permissions.core.group' },
  ],
  profiles: {
    administrator: ['contacts.manage', 'contacts.import', 'contacts.invite', 'audit.view', 'account.settings', 'documents.download'],
    member: ['documents.download'],
    observer_download: ['documents.download'],
    observer: [],
  },
  menu: [
    { label: 'menu.contacts', path: '/contacts', requires: 'contacts.manage' },
    { label: 'menu.groups', path: '/groups', requires: 'contacts.manage' },
    { label: 'menu.invitations', path: '/invitations', requires: 'contacts.invite' },
  ],
};
