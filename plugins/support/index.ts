import { definePlugin } from '../../server/plugins/contract';

/**
 * Support: who may open and follow tickets. The ticket pages come with the tickets issue; the
 * flags exist now so administrators can grant them.
 */
export default definePlugin({
  id: 'support',
  name: 'plugins.support.name',
  permissions: [
    { key: 'support.portal', label: 'plugins.support.portal', description: 'plugins.support.portalHelp', group: 'plugins.support.name' },
    { key: 'support.bpo-full', label: 'plugins.support.bpoFull', description: 'plugins.support.bpoFullHelp', group: 'plugins.support.name' },
    { key: 'support.restricted', label: 'plugins.support.restricted', description: 'plugins.support.restrictedHelp', group: 'plugins.support.name', narrows: true },
  ],
  profiles: {
    administrator: ['support.portal', 'support.bpo-full'],
    member: ['support.portal'],
    observer_download: ['support.portal', 'support.restricted'],
    observer: ['support.portal', 'support.restricted'],
  },
  locales: {
    'pt-BR': { plugins: { support: {
      name: 'Suporte',
      portal: 'Portal de Clientes Autoatendimento', portalHelp: 'Abre e acompanha chamados de suporte.',
      bpoFull: 'Acesso completo a chamados BPO', bpoFullHelp: 'Vê todos os chamados BPO da empresa.',
      restricted: 'Restringir acesso aos chamados', restrictedHelp: 'Vê apenas os chamados que abriu.',
    } } },
    es: { plugins: { support: {
      name: 'Soporte',
      portal: 'Portal de Clientes Autoservicio', portalHelp: 'Abre y sigue tickets de soporte.',
      bpoFull: 'Acceso completo a tickets BPO', bpoFullHelp: 'Ve todos los tickets BPO de la empresa.',
      restricted: 'Restringir acceso a los tickets', restrictedHelp: 'Ve solo los tickets que abrió.',
    } } },
    en: { plugins: { support: {
      name: 'Support',
      portal: 'Self-service Customer Portal', portalHelp: 'Opens and follows support tickets.',
      bpoFull: 'Full access to BPO tickets', bpoFullHelp: 'Sees every BPO ticket of the company.',
      restricted: 'Restrict access to tickets', restrictedHelp: 'Sees only the tickets they opened.',
    } } },
  },
});
