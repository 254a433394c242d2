import { Router, type Request, type Response } from 'express';
import { requirePermission, requireStepUp } from '../http/guards';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { actingIn } from '../audit/actor';
import { Conflict, Forbidden, ValidationFailed } from '../errors';
import { idParam, listOf, messageOf } from '../http/forms';
import { flash } from '../http/locals';
import type { GroupService } from './groups.service';
import { PROFILES, type PermissionService } from './permissions.service';


/** "Permissões de Acesso" of one contact: /accounts/:accountId/contacts/:contactId/permissions. */
export function permissionRoutes(permissions: PermissionService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsManage));

  const page = async (req: Request, res: Response, status = 200, override: { profile?: string; flags?: string[]; groups?: number[]; error?: string } = {}) => {
    const data = await permissions.editorData(req.ctx!.account, idParam(req, 'contactId'));
    const profile = override.profile ?? (data.contact.profile as string);
    await res.renderPage('permissions/editor', {
      title: req.t('permissions.editor.title'),
      ...data,
      profile,
      profiles: PROFILES,
      // Read-only (built-in profile): every flag the contact holds, with its source badges;
      // Personalizado: the checkboxes are the explicit grants the administrator edits.
      checked: new Set(override.flags ?? (profile === 'custom' ? [...data.explicit] : [...permissions.profileFlags(profile), ...[...data.sources].filter(([, s]) => s.groups.length).map(([k]) => k)])),
      memberOf: new Set(override.groups ?? [...data.memberOf]),
      editorFlags: req.ctx!.permissions,
      base: `/accounts/${req.ctx!.account.id}/contacts/${data.contact.id}`,
      saved: req.query.saved === '1',
      error: override.error ?? null,
    }, status);
  };

  router.get('/', (req, res) => page(req, res));

  // Choosing a profile loads its flags read-only; "Personalizado" makes them editable.
  router.get('/preview', async (req, res) => {
    const data = await permissions.editorData(req.ctx!.account, idParam(req, 'contactId'));
    const profile = (PROFILES as readonly string[]).includes(String(req.query.profile)) ? String(req.query.profile) : 'member';
    const current = data.contact.profile === 'custom' ? [...data.explicit] : [...permissions.profileFlags(data.contact.profile)];
    res.render('permissions/_flags', {
      modules: data.modules, sources: data.sources, profile, editorFlags: req.ctx!.permissions,
      checked: new Set(profile === 'custom' ? current : [...permissions.profileFlags(profile)]),
    });
  });

  router.post('/', requireStepUp, async (req, res) => {
    const contactId = idParam(req, 'contactId');
    try {
      await permissions.save(actingIn(req), contactId, req.body);
    } catch (err) {
      if (err instanceof ValidationFailed || err instanceof Forbidden || err instanceof Conflict) {
        const groups = listOf(req.body.groups).map(Number);
        const flags = listOf(req.body.flags);
        const { key, params } = messageOf(err);
        return page(req, res, err.status, { profile: String(req.body.profile ?? ''), flags, groups, error: req.t(key, params) });
      }
      throw err;
    }
    res.redirect(303, `/accounts/${req.ctx!.account.id}/contacts/${contactId}/permissions?saved=1`);
  });

  return router;
}

/** Groups of an account: /accounts/:accountId/groups. */
export function groupRoutes(groups: GroupService, permissions: PermissionService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsManage));
  const base = (req: Request) => `/accounts/${req.ctx!.account.id}/groups`;

  const form = (req: Request, res: Response, values: { id: number | null; name: string; description: string; flags: string[] }, status = 200, error: string | null = null, errors: Record<string, unknown> = {}) =>
    res.renderPage('groups/form', {
      title: req.t(values.id ? 'groups.edit' : 'groups.new'), values, modules: permissions.modules(),
      editorFlags: req.ctx!.permissions, base: base(req), error, errors, saved: req.query.saved === '1',
    }, status);

  router.get('/', async (req, res) => {
    await res.renderPage('groups/list', { title: req.t('groups.title'), groups: await groups.list(req.ctx!.account.id), base: base(req) });
  });
  router.get('/new', (req, res) => form(req, res, { id: null, name: '', description: '', flags: [] }));
  router.get('/:groupId', async (req, res) => {
    const g = await groups.get(req.ctx!.account.id, idParam(req, 'groupId'));
    await form(req, res, { id: g.id, name: g.name, description: g.description ?? '', flags: g.flags });
  });

  const save = (id: (req: Request) => number | null) => async (req: Request, res: Response) => {
    const groupId = id(req);
    let saved: number;
    try {
      saved = await groups.save(actingIn(req), groupId, req.body);
    } catch (err) {
      if (!(err instanceof ValidationFailed || err instanceof Forbidden)) throw err;
      const values = { id: groupId, name: String(req.body.name ?? ''), description: String(req.body.description ?? ''), flags: listOf(req.body.flags) };
      return form(req, res, values, err.status, err instanceof Forbidden ? req.t(err.messageKey) : null, err instanceof ValidationFailed ? err.fields : {});
    }
    res.redirect(303, `${base(req)}/${saved}?saved=1`);
  };
  router.post('/', requireStepUp, save(() => null));
  router.post('/:groupId', requireStepUp, save((req) => idParam(req, 'groupId')));

  router.post('/:groupId/delete', requireStepUp, async (req, res) => {
    await groups.remove(actingIn(req), idParam(req, 'groupId'));
    flash(req, { type: 'success', key: 'common.removed' });
    res.redirect(303, base(req));
  });
  return router;
}
