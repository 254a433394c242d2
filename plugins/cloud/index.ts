import path from 'node:path';
import type { Response } from 'express';
import { definePlugin, type PluginContext, type PluginRequest } from 'portal/plugin';

/** The plugin's flags by name, for its manifest and its `can()` questions. */
export const CLOUD_FLAGS = { controlCenter: 'cloud.control-center', itAdmin: 'cloud.it-admin' } as const;

const environmentsOf = (ctx: PluginContext, accountId: number) =>
  ctx.db('cloud_environments').where({ account_id: accountId }).orderBy('name');

/**
 * The redirect after a restart carries only the environment's id: the message names it from this
 * account's own rows, so a link cannot make the page print a text of its choosing.
 */
function restartedName(environments: { id: number; name: string; state: string }[], raw: unknown): string | null {
  const env = environments.find((e) => String(e.id) === raw && e.state === 'restarting');
  return env ? env.name : null;
}

async function listPage(req: PluginRequest, res: Response, ctx: PluginContext) {
  const environments = await environmentsOf(ctx, req.ctx!.account.id);
  await ctx.render(res, 'environments', {
    title: req.t('plugins.cloud.title'),
    base: ctx.baseUrl(req),
    environments,
    canAdminister: req.ctx!.can(CLOUD_FLAGS.itAdmin),
    restarted: restartedName(environments, req.query.restarted),
  });
}

/** An IT administrator's action: asks for a restart of one environment of this account. */
async function restart(req: PluginRequest, res: Response, ctx: PluginContext) {
  const id = Number(req.params.environmentId);
  const accountId = req.ctx!.account.id;
  const restartedId = await ctx.transaction(async (trx) => {
    const env = await trx('cloud_environments').where({ id: Number.isSafeInteger(id) ? id : 0, account_id: accountId }).first();
    if (!env) return null;
    await trx('cloud_environments').where({ id: env.id }).update({ state: 'restarting', restarted_at: new Date() });
    await ctx.audit(trx, req, { action: 'cloud.environment_restarted', target: { type: 'cloud_environment', id: env.id }, details: { before: { state: env.state }, after: { state: 'restarting' } } });
    return Number(env.id);
  });
  if (restartedId === null) ctx.notFound();
  res.redirect(303, `${ctx.baseUrl(req)}?restarted=${restartedId}`);
}

/** Cloud control center: the account's cloud environments; IT administrators may act on them. */
export default definePlugin({
  id: 'cloud',
  name: 'plugins.cloud.name',
  permissions: [
    { key: CLOUD_FLAGS.controlCenter, label: 'plugins.cloud.controlCenter', description: 'plugins.cloud.controlCenterHelp' },
    { key: CLOUD_FLAGS.itAdmin, label: 'plugins.cloud.itAdmin', description: 'plugins.cloud.itAdminHelp' },
  ],
  profiles: { administrator: [CLOUD_FLAGS.controlCenter, CLOUD_FLAGS.itAdmin], member: [CLOUD_FLAGS.controlCenter] },
  menu: [{ label: 'plugins.cloud.menu', path: '/', requires: CLOUD_FLAGS.controlCenter }],
  routes: [
    { method: 'get', path: '/', requires: CLOUD_FLAGS.controlCenter, handler: listPage },
    { method: 'post', path: '/environments/:environmentId/restart', requires: CLOUD_FLAGS.itAdmin, handler: restart },
  ],
  migrations: path.join(import.meta.dirname, 'migrations'),
  views: path.join(import.meta.dirname, 'views'),
  async seedDemo(trx, account, grants) {
    // The first demo account's IT team: the permission editor shows a group as a flag's source.
    if (account.index === 0) await grants.group('Equipe de TI', 'Acompanha e administra os ambientes cloud', [CLOUD_FLAGS.controlCenter, CLOUD_FLAGS.itAdmin]);
    if (await trx('cloud_environments').where({ account_id: account.id }).first()) return;
    await trx('cloud_environments').insert([
      { account_id: account.id, name: 'Produção', product: 'Protheus', region: 'São Paulo', state: 'running' },
      { account_id: account.id, name: 'Homologação', product: 'Protheus', region: 'São Paulo', state: 'running' },
      { account_id: account.id, name: 'BI', product: 'Fluig', region: 'Rio de Janeiro', state: 'stopped' },
    ]);
  },
  locales: {
    'pt-BR': { plugins: { cloud: {
      audit: { environment_restarted: 'Ambiente reiniciado' },
      name: 'Cloud',
      controlCenter: 'Centro de Controle Cloud', controlCenterHelp: 'Vê os ambientes cloud da empresa.',
      itAdmin: 'Administradores de TI', itAdminHelp: 'Executa ações administrativas nos ambientes.',
      menu: 'Centro de Controle Cloud', title: 'Centro de Controle Cloud', environment: 'Ambiente', product: 'Produto',
      region: 'Região', state: 'Situação', restart: 'Reiniciar', empty: 'Nenhum ambiente cloud contratado.',
      restarted: 'Reinício solicitado para o ambiente {{name}}.',
      states: { running: 'Em execução', restarting: 'Reiniciando', stopped: 'Parado' },
    } } },
    es: { plugins: { cloud: {
      audit: { environment_restarted: 'Entorno reiniciado' },
      name: 'Cloud',
      controlCenter: 'Centro de Control Cloud', controlCenterHelp: 'Ve los entornos cloud de la empresa.',
      itAdmin: 'Administradores de TI', itAdminHelp: 'Ejecuta acciones administrativas en los entornos.',
      menu: 'Centro de Control Cloud', title: 'Centro de Control Cloud', environment: 'Entorno', product: 'Producto',
      region: 'Región', state: 'Estado', restart: 'Reiniciar', empty: 'Ningún entorno cloud contratado.',
      restarted: 'Reinicio solicitado para el entorno {{name}}.',
      states: { running: 'En ejecución', restarting: 'Reiniciando', stopped: 'Detenido' },
    } } },
    en: { plugins: { cloud: {
      audit: { environment_restarted: 'Environment restarted' },
      name: 'Cloud',
      controlCenter: 'Cloud Control Center', controlCenterHelp: 'Sees the company\'s cloud environments.',
      itAdmin: 'IT administrators', itAdminHelp: 'Runs administrative actions on the environments.',
      menu: 'Cloud Control Center', title: 'Cloud Control Center', environment: 'Environment', product: 'Product',
      region: 'Region', state: 'State', restart: 'Restart', empty: 'No cloud environments purchased.',
      restarted: 'Restart requested for environment {{name}}.',
      states: { running: 'Running', restarting: 'Restarting', stopped: 'Stopped' },
    } } },
  },
});
