import { Router, type Request, type Response } from 'express';
import { actingIn } from '../audit/actor';
import { Conflict, isDomainError } from '../errors';
import { idParam } from '../http/forms';
import { requirePermission, requireStepUp } from '../http/guards';
import { flash } from '../http/locals';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { CSV_CONTENT_TYPE, writeCsv } from '../csv/csv-writer';
import { templateCsv } from './csv-reader';
import type { ImportJob } from './import-jobs.repository';
import type { ImportRunner } from './import-runner';
import { WORKED_STATES } from './import-jobs.repository';
import { ISSUES_SHOWN, type ImportService } from './imports.service';
import { receiveImportFile, type UploadRefusal } from './upload';

const checked = (v: unknown) => ['on', 'true', '1'].includes(String(v ?? ''));
const isWorking = (job: ImportJob) => (WORKED_STATES as readonly string[]).includes(job.state);

/**
 * "Importar usuários": /accounts/:accountId/imports. Upload → preview (worked in the background,
 * its progress polled) → confirm behind step-up → import (polled) → result with the rejected rows.
 */
export function importRoutes(imports: ImportService, runner: ImportRunner, maxBytes: number) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsImport));
  const base = (req: Request) => `/accounts/${req.ctx!.account.id}/imports`;
  const jobId = (req: Request) => idParam(req, 'jobId');

  const uploadPage = async (req: Request, res: Response, refusal: UploadRefusal | null = null, options = { updateExisting: false, allOrNothing: false, inviteLater: false }) =>
    res.renderPage('imports/new', {
      title: req.t('importJobs.title'), base: base(req), contactsBase: `/accounts/${req.ctx!.account.id}/contacts`,
      refusal, options, maxMb: Math.round(maxBytes / (1024 * 1024)), jobs: await imports.recent(req.ctx!.account.id),
    }, refusal?.status ?? 200);

  router.get('/', (req, res) => uploadPage(req, res));

  router.get('/template.csv', (_req, res) => {
    res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="modelo-importacao-usuarios.csv"', 'Cache-Control': 'no-store' });
    res.send(templateCsv());
  });

  router.post('/', async (req, res) => {
    const received = await receiveImportFile(req, res, imports.folder, maxBytes);
    if ('refused' in received) return uploadPage(req, res, received.refused);
    const options = { updateExisting: checked(received.fields.updateExisting), allOrNothing: checked(received.fields.allOrNothing), inviteLater: checked(received.fields.inviteLater) };
    let id: number;
    try {
      id = await imports.start(actingIn(req), received.file, options, req.locale);
    } catch (err) {
      if (isDomainError(err) && err.status < 500) return uploadPage(req, res, { key: err.messageKey, params: err.params, status: 422 }, options);
      throw err;
    }
    runner.kick(id);
    res.redirect(303, `${base(req)}/${id}`);
  });

  const jobLocals = async (req: Request, job: ImportJob) => ({
    title: req.t('importJobs.job.title', { file: job.fileName }), base: base(req), contactsBase: `/accounts/${req.ctx!.account.id}/contacts`, job,
    working: isWorking(job), issues: job.state === 'previewing' || job.fileRemoved ? [] : await imports.issues(job),
    seats: await imports.seats(req.ctx!.account.id), issuesShown: ISSUES_SHOWN, ungrantable: imports.ungrantableProfiles(job, req.ctx!.permissions),
  });

  router.get('/:jobId', async (req, res) => {
    const job = await imports.find(req.ctx!.account.id, jobId(req));
    // The progress bar polls this page: while the job works it answers the bar alone, once it ends
    // the whole page is loaded again (the preview, or "Sucesso!").
    if (req.get('hx-request') === 'true' && req.get('hx-target') === 'import-progress') {
      if (!isWorking(job)) {
        res.set('HX-Refresh', 'true');
        return res.status(204).end();
      }
      return res.render('imports/_progress', { job, base: base(req) });
    }
    await res.renderPage('imports/show', await jobLocals(req, job));
  });

  router.post('/:jobId/confirm', requireStepUp, async (req, res) => {
    const id = jobId(req);
    try {
      await imports.confirm(actingIn(req), id);
    } catch (err) {
      if (!isDomainError(err) || err.status >= 500 || err.status === 404) throw err;
      flash(req, { type: 'error', key: err.messageKey, params: err.params });
      return res.redirect(303, `${base(req)}/${id}`);
    }
    runner.kick(id);
    res.redirect(303, `${base(req)}/${id}`);
  });

  router.post('/:jobId/cancel', async (req, res) => {
    await imports.cancel(actingIn(req), jobId(req));
    flash(req, { type: 'success', key: 'importJobs.cancelled' });
    res.redirect(303, base(req));
  });

  // The rows not imported, each with why, in the template's columns: fixed in a spreadsheet and imported again.
  router.get('/:jobId/rejected.csv', async (req, res) => {
    const job = await imports.find(req.ctx!.account.id, jobId(req));
    // Said before the download starts: once the CSV's first bytes left, an error can only cut it short.
    if (job.fileRemoved) throw new Conflict('importJobs.errors.fileGone');
    const rows = imports.rejectedRows(job);
    const header = [...imports.columns, req.t('importJobs.rejected.line'), req.t('importJobs.rejected.reason')];
    async function* lines() {
      for await (const row of rows) {
        const reasons = row.issues.map((i) => (i.column ? `${i.column}: ` : '') + req.t(i.key, i.params)).join(' | ');
        yield [...imports.columns.map((c) => row.cells[c] ?? ''), String(row.line), reasons];
      }
    }
    res.set({ 'Content-Type': CSV_CONTENT_TYPE, 'Content-Disposition': `attachment; filename="rejeitados-${job.id}.csv"`, 'Cache-Control': 'no-store' });
    await writeCsv({ header, rows: lines() }, res);
  });

  return router;
}
