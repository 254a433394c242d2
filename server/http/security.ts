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
 * `x-csrf-token` header (set once on <body> through hx-headers).
 */
export const csrf = csrfSync({
  size: 32, // 256 bits of randomness; the default 128 bytes made every form 200 characters longer
  getTokenFromRequest: (req: Request) => (req.body && typeof req.body === 'object' && req.body._csrf) || req.get('x-csrf-token'),
});
