import path from 'node:path';
import type { Request, Response } from 'express';
import { definePlugin, type PluginContext } from 'portal/plugin';

/** The plugin's flags by name, one per audience, for its manifest and its questions. */
export const EDUCATION_FLAGS = { clients: 'education.academy-clients', franchises: 'education.academy-franchises' } as const;

/** The account's course seats of one audience and who manages them. */
const seatsPage = (audience: keyof typeof EDUCATION_FLAGS) => async (req: Request, res: Response, ctx: PluginContext) => {
  const seats = await ctx.db('education_course_seats').where({ account_id: req.ctx!.account.id, audience }).orderBy('course');
  const managers = await ctx.holders(req, EDUCATION_FLAGS[audience]);
  await ctx.render(res, 'seats', { title: req.t(`plugins.education.${audience}Title`), audience, seats, managers });
};

/** Corporate education (Academia): course seats for the account's people, for clients and for franchises. */
export default definePlugin({
  id: 'education',
  name: 'plugins.education.name',
  permissions: [
    { key: EDUCATION_FLAGS.clients, label: 'plugins.education.clients', description: 'plugins.education.clientsHelp' },
    { key: EDUCATION_FLAGS.franchises, label: 'plugins.education.franchises', description: 'plugins.education.franchisesHelp' },
  ],
  profiles: { administrator: [EDUCATION_FLAGS.clients, EDUCATION_FLAGS.franchises] },
  menu: [
    { label: 'plugins.education.menuClients', path: '/', requires: EDUCATION_FLAGS.clients },
    { label: 'plugins.education.menuFranchises', path: '/franchises', requires: EDUCATION_FLAGS.franchises },
  ],
  routes: [
    { method: 'get', path: '/', requires: EDUCATION_FLAGS.clients, handler: seatsPage('clients') },
    { method: 'get', path: '/franchises', requires: EDUCATION_FLAGS.franchises, handler: seatsPage('franchises') },
  ],
  migrations: path.join(import.meta.dirname, 'migrations'),
  views: path.join(import.meta.dirname, 'views'),
  async seedDemo(trx, account) {
    if (await trx('education_course_seats').where({ account_id: account.id }).first()) return;
    await trx('education_course_seats').insert([
      { account_id: account.id, audience: 'clients', course: 'Protheus — Fundamentos', seats_total: 20, seats_used: 12 + account.index },
      { account_id: account.id, audience: 'clients', course: 'RM — Folha de Pagamento', seats_total: 10, seats_used: 4 },
      { account_id: account.id, audience: 'franchises', course: 'Gestão de Franquias', seats_total: 5, seats_used: 2 },
    ]);
  },
  locales: {
    'pt-BR': { plugins: { education: {
      name: 'Educação Corporativa',
      clients: 'Gestor Educação Corporativa - Academia (exclusivo para clientes)', clientsHelp: 'Gerencia as vagas de cursos da empresa.',
      franchises: 'Gestor Educação Corporativa II - Academia (exclusivo para franquias)', franchisesHelp: 'Gerencia as vagas de cursos das franquias.',
      menuClients: 'Academia', menuFranchises: 'Academia — Franquias',
      clientsTitle: 'Academia: vagas de cursos', franchisesTitle: 'Academia: vagas de cursos das franquias',
      course: 'Curso', seats: 'Vagas', used: 'Em uso', empty: 'Nenhuma vaga de curso contratada.', managers: 'Gestores',
      noManagers: 'Nenhum gestor.',
    } } },
    es: { plugins: { education: {
      name: 'Educación Corporativa',
      clients: 'Gestor Educación Corporativa - Academia (exclusivo para clientes)', clientsHelp: 'Gestiona las plazas de cursos de la empresa.',
      franchises: 'Gestor Educación Corporativa II - Academia (exclusivo para franquicias)', franchisesHelp: 'Gestiona las plazas de cursos de las franquicias.',
      menuClients: 'Academia', menuFranchises: 'Academia — Franquicias',
      clientsTitle: 'Academia: plazas de cursos', franchisesTitle: 'Academia: plazas de cursos de las franquicias',
      course: 'Curso', seats: 'Plazas', used: 'En uso', empty: 'Ninguna plaza de curso contratada.', managers: 'Gestores',
      noManagers: 'Ningún gestor.',
    } } },
    en: { plugins: { education: {
      name: 'Corporate Education',
      clients: 'Corporate Education Manager - Academy (clients only)', clientsHelp: 'Manages the company\'s course seats.',
      franchises: 'Corporate Education Manager II - Academy (franchises only)', franchisesHelp: 'Manages the franchises\' course seats.',
      menuClients: 'Academy', menuFranchises: 'Academy — Franchises',
      clientsTitle: 'Academy: course seats', franchisesTitle: 'Academy: franchise course seats',
      course: 'Course', seats: 'Seats', used: 'In use', empty: 'No course seats purchased.', managers: 'Managers',
      noManagers: 'No managers.',
    } } },
  },
});
