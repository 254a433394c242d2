import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDomainError, NotFound, TooManyAttempts } from '../errors';
import { coreCatalogs, DEFAULT_LOCALE, type Catalog } from '../i18n';
import { retryAfter } from './forms';
import { csrf } from './security';

/** For errors raised before the i18n middleware ran (e.g. the session store is down): pt-BR text. */
function fallbackT(key: string): string {
  let node: Catalog | string | undefined = coreCatalogs[DEFAULT_LOCALE];
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : key;
}

export function notFoundHandler(_req: Request, _res: Response, next: NextFunction) {
  next(new NotFound());
}

/**
 * mysql2 hands a failed statement back in `err.sql` with its values bound in (CPFs, e-mails,
 * names): the log keeps knex's message, whose statement has placeholders, and not that copy.
 */
function withoutBoundValues(err: unknown): unknown {
  if (err instanceof Error && 'sql' in err) delete (err as { sql?: unknown }).sql;
  return err;
}

const isCsrfError = (err: unknown) => err === csrf.invalidCsrfTokenError || (err as { code?: string })?.code === 'EBADCSRFTOKEN';

/**
 * The one place where errors become responses: domain errors get their status and translated
 * message; anything else is a 500 whose stack is logged, and shown only in development.
 */
export function errorHandler(logger: Logger, showStack: boolean) {
  return async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      // A response already under way (a streamed download cut short) cannot become an error page,
      // but what cut it is still logged.
      if (!isDomainError(err)) (req.log ?? logger).error({ err: withoutBoundValues(err) }, 'error after the response started');
      return;
    }
    const t = req.t ?? fallbackT;
    let status = 500;
    let message = t('errors.server.message');
    if (isCsrfError(err)) {
      status = 403;
      message = t('errors.csrf');
    } else if (isDomainError(err)) {
      status = err.status;
      message = t(err.messageKey, err.params);
      if (err instanceof TooManyAttempts) retryAfter(res, err);
    } else if (typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500) {
      status = (err as { status: number }).status; // e.g. body-parser's 413
      message = String((err as Error).message);
    } else {
      (req.log ?? logger).error({ err: withoutBoundValues(err) }, 'unhandled error');
    }
    const title = status === 404 ? t('errors.notFound.title') : status === 403 ? t('errors.forbidden.title') : status >= 500 ? t('errors.server.title') : message;

    if (req.get('hx-request') === 'true') {
      // Not swapped: public/js/portal.js shows the message in the page's live region.
      res.status(status).set('HX-Reswap', 'none').type('text').send(message);
      return;
    }
    if (!req.accepts('html')) {
      res.status(status).json({ error: message });
      return;
    }
    if (typeof res.renderPage !== 'function') {
      res.status(status).type('text').send(message);
      return;
    }
    const stack = showStack && status === 500 && err instanceof Error ? err.stack : null;
    try {
      await res.renderPage('errors/error', { title, message, stack }, status);
    } catch (renderErr) {
      logger.error({ err: renderErr }, 'error page failed to render');
      res.status(status).type('text').send(message);
    }
  };
}
