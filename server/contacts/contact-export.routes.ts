import { Router } from 'express';
import { actingIn } from '../audit/actor';
import { CSV_CONTENT_TYPE, writeCsv } from '../csv/csv-writer';
import { requirePermission } from '../http/guards';
import { isoDate } from '../i18n/format';
import { CORE_FLAGS } from '../plugins/core-manifest';
import type { ContactExportService } from './contact-export.service';

const isClientGone = (err: unknown) => (err as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * "Exportar": GET /accounts/:accountId/contacts.csv?status=&q=&sort=, the list as filtered, streamed.
 * Mounted at that path (a sibling of the contacts router, whose `/contacts` mount does not match
 * `/contacts.csv`), with the contacts router's own guard.
 */
export function contactExportRoutes(exports: ContactExportService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.contactsManage));

  router.get('/', async (req, res) => {
    const file = exports.export(actingIn(req), req.query, req.t);
    res.attachment(`contatos-${file.filter.status}-${isoDate(new Date())}.csv`);
    res.set({ 'Content-Type': CSV_CONTENT_TYPE, 'Cache-Control': 'no-store' });
    try {
      await writeCsv(file, res);
    } catch (err) {
      // A client that stops the download is no error of ours (the export's audit event says so).
      // Any other error has cut the file short (the connection is closed, the browser reports a
      // failed download): the error handler logs it.
      if (isClientGone(err)) return;
      throw err;
    }
  });

  return router;
}
