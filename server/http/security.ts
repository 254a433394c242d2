import helmet from 'helmet';
import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config';

/** A CSP with no 'unsafe-inline': scripts and styles come only from our own files. */
export function securityHeaders(config: Config) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': config.env === 'production' ? [] : null,
      },
    },
    strictTransportSecurity: config.env === 'production',
  });
}

/**
 * Every page is personal (CPFs, e-mails, names): no browser or proxy keeps a copy. And any URL may
 * answer an HTMX request differently (a fragment, or an error as text), so caches key on the header.
 */
export function personalPages(_req: Request, res: Response, next: NextFunction) {
  res.set('Cache-Control', 'no-store');
  res.vary('HX-Request');
  next();
}

/**
 * Synchronizer-token CSRF: the token lives in the session; forms send it as `_csrf`, HTMX as the
 * `x-csrf-token` header (set once on <body> through hx-headers). A file upload form's body is not
 * parsed yet when this check runs (the route parses it, within its size limits), so a multipart
 * form carries the token in its action's query string (`?_csrf=`; the request log drops query values).
 */
export const csrf = csrfSync({
  size: 32, // 256 bits of randomness; the default 128 bytes made every form 200 characters longer
  getTokenFromRequest: (req: Request) =>
    (req.body && typeof req.body === 'object' && req.body._csrf) || req.get('x-csrf-token') || multipartQueryToken(req),
});

function multipartQueryToken(req: Request): string | undefined {
  const token = req.is('multipart/form-data') ? req.query._csrf : undefined;
  return typeof token === 'string' ? token : undefined;
}
