import path from 'node:path';
import { definePlugin } from 'portal/plugin';
import { seedDemoTickets } from './demo';
import { eraseFromTickets, exportTickets } from './erasure';
import { locales } from './locales';
import { routes } from './routes';
import { askForReceiver, handOverOpenTickets } from './transfer';
import { BPO_FLAG, PORTAL_FLAG, RESTRICTED_FLAG, TRANSFER_FLAG } from './visibility';

/**
 * Support tickets: contacts with "Portal de Clientes Autoatendimento" open and follow tickets;
 * who sees which ticket is the visibility table of docs/plugins.md. "Transferir chamados" moves a
 * contact's open tickets to another, and a contact who leaves with open tickets names a receiver
 * in the delete / deactivate confirmation.
 */
export default definePlugin({
  id: 'support',
  name: 'plugins.support.name',
  permissions: [
    { key: PORTAL_FLAG, label: 'plugins.support.portal', description: 'plugins.support.portalHelp', group: 'plugins.support.name' },
    { key: BPO_FLAG, label: 'plugins.support.bpoFull', description: 'plugins.support.bpoFullHelp', group: 'plugins.support.name' },
    { key: RESTRICTED_FLAG, label: 'plugins.support.restricted', description: 'plugins.support.restrictedHelp', group: 'plugins.support.name', narrows: true },
    { key: TRANSFER_FLAG, label: 'plugins.support.transferFlag', description: 'plugins.support.transferFlagHelp', group: 'plugins.support.name' },
  ],
  profiles: {
    administrator: [PORTAL_FLAG, BPO_FLAG, TRANSFER_FLAG],
    member: [PORTAL_FLAG],
    observer_download: [PORTAL_FLAG, RESTRICTED_FLAG],
    observer: [PORTAL_FLAG, RESTRICTED_FLAG],
  },
  menu: [
    { label: 'plugins.support.menu', path: '/', requires: PORTAL_FLAG },
    { label: 'plugins.support.menuTransfer', path: '/transfer', requires: TRANSFER_FLAG },
  ],
  routes,
  migrations: path.join(import.meta.dirname, 'migrations'),
  views: path.join(import.meta.dirname, 'views'),
  confirmations: { 'contact.deleting': askForReceiver, 'contact.deactivated': askForReceiver },
  hooks: { 'contact.deleting': handOverOpenTickets, 'contact.deactivated': handOverOpenTickets, 'contact.erasing': eraseFromTickets, 'contact.exporting': exportTickets },
  seedDemo: (trx, account, _grants, contacts) => seedDemoTickets(trx, account, contacts),
  locales,
});
