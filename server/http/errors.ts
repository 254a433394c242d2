import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/knex';
import { isRetryable } from '../db/transaction';
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
    } else if (isDatabaseUnavailable(err)) {
      // The database is away (restarting, a cluster without quorum): the process stays up and the
      // next request after it returns is answered; the balancer sees 503 on /healthz meanwhile.
      status = 503;
      message = t('errors.unavailable.message');
      res.set('Retry-After', '10');
      (req.log ?? logger).warn({ err: withoutBoundValues(err) }, 'database unavailable');
    } else if (isRetryable(err)) {
      // Every rerun of the transaction met a conflicting write (inTransaction gave up): it was rolled
      // back whole, so asking the person to send it again is honest and safe.
      status = 503;
      message = t('errors.busy');
      res.set('Retry-After', '2');
      (req.log ?? logger).warn({ err: withoutBoundValues(err) }, 'transaction gave up after its reruns');
    } else if (typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500) {
      status = (err as { status: number }).status; // e.g. body-parser's 413
      message = String((err as Error).message);
    } else {
      (req.log ?? logger).error({ err: withoutBoundValues(err) }, 'unhandled error');
    }
    const title = status === 404 ? t('errors.notFound.title') : status === 403 ? t('errors.forbidden.title') : status === 503 ? t('errors.unavailable.title') : status >= 500 ? t('errors.server.title') : message;

    if (req.get('hx-request') === 'true') {
      // Not swapped: public/js/portal.js shows the message in the page's live region.
      res.status(status).set('HX-Reswap', 'none').type('text').send(message);
      return;
    }
    if (!req.accepts('html')) {
      res.status(status).json({ error: message });
      return;
    }
    const stack = showStack && status === 500 && err instanceof Error ? err.stack : null;
    try {
      // Before the view locals ran (the session store could not be read): the same page, anonymous, in pt-BR.
      if (typeof res.renderPage !== 'function') await renderBare(res, { title, message, stack, t }, status);
      else await res.renderPage('errors/error', { title, message, stack }, status);
    } catch (renderErr) {
      logger.error({ err: renderErr }, 'error page failed to render');
      res.status(status).type('text').send(message);
    }
  };
}

function renderBare(res: Response, locals: Record<string, unknown>, status: number): Promise<void> {
  const bare = { ...locals, locale: DEFAULT_LOCALE, currentUser: null, ctx: null, menu: [], flash: [], csrfToken: '' };
  return new Promise<void>((resolve, reject) => {
    res.render('errors/error', bare, (err, body) => {
      if (err) return reject(err);
      res.render('layout', { ...bare, body }, (err2, html) => {
        if (err2) return reject(err2);
        res.status(status).type('html').send(html);
        resolve();
      });
    });
  });
}
