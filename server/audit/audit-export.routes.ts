import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { CSV_CONTENT_TYPE, writeCsv } from '../csv/csv-writer';
import { requirePermission } from '../http/guards';
import { isoDate } from '../i18n/format';
import { CORE_FLAGS } from '../plugins/core-manifest';
import { actingIn } from './actor';
import type { AuditExportService } from './audit-export.service';
import { parseAuditFilter } from './audit-filter';

const isClientGone = (err: unknown) => (err as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * GET /accounts/:accountId/audit/export.csv and /export.jsonl?person=&action=&target_type=&target_id=&from=&to=&q=
 * (server/audit/audit-filter.ts) and `personal=omit` to leave personal values out. Mounted at
 * `/audit`; each route carries its own guard, so the pages' router mounted there is not affected.
 */
export function auditExportRoutes(exports: AuditExportService) {
  const router = Router({ mergeParams: true });
  const guard = requirePermission(CORE_FLAGS.auditView);

  const download = (format: 'csv' | 'jsonl') => async (req: Request, res: Response) => {
    const file = exports.export(actingIn(req), parseAuditFilter(req.query), format, req.t, { omitPersonal: req.query.personal === 'omit' });
    res.attachment(`auditoria-${req.ctx!.account.id}-${isoDate(new Date())}.${format}`);
    res.set({ 'Content-Type': format === 'csv' ? CSV_CONTENT_TYPE : 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
    try {
      if (format === 'csv') await writeCsv(file, res);
      else await pipeline(Readable.from(file.lines), res);
    } catch (err) {
      // A client that stops the download is no error of ours (the export's audit event says so).
      if (isClientGone(err)) return;
      throw err;
    }
  };

  router.get('/export.csv', guard, download('csv'));
  router.get('/export.jsonl', guard, download('jsonl'));
  return router;
}
