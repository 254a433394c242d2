import type { NextFunction, Request, Response } from 'express';
import type { i18n } from 'i18next';
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { MemoizedTranslators } from '../i18n/memoized';
import type { Registry } from '../plugins/registry';
import type { FlashMessage } from './types';
import { csrf } from './security';

/** The user's own setting first, then the browser's Accept-Language, then pt-BR. */
export function pickLocale(req: Request): Locale {
  if (isLocale(req.user?.locale)) return req.user.locale;
  const accepted = req.acceptsLanguages([...LOCALES]);
  if (accepted && isLocale(accepted)) return accepted;
  // `acceptsLanguages` matches tags exactly; a plain "pt" or "es-AR" still means our catalog.
  const primary = (req.get('accept-language') ?? '').split(',').map((s) => s.split(';')[0]!.trim().slice(0, 2).toLowerCase());
  for (const tag of primary) {
    const match = LOCALES.find((l) => l.slice(0, 2).toLowerCase() === tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}

export function flash(req: Request, message: FlashMessage): void {
  if (!req.session) return;
  (req.session.flash ??= []).push(message);
}

/** Sets t(), the locale and what every view needs; adds res.renderPage (view inside the layout). */
export function viewLocals(i18nInstance: i18n, registry: Registry) {
  const translators = new MemoizedTranslators(i18nInstance);
  return (req: Request, res: Response, next: NextFunction) => {
    const locale = pickLocale(req);
    req.locale = locale;
    req.t = translators.get(locale);
    res.locals.t = req.t;
    res.locals.locale = locale;
    res.locals.currentUser = req.user ?? null;
    res.locals.isHtmx = req.get('hx-request') === 'true';
    res.locals.csrfToken = req.session ? csrf.generateToken(req) : '';
    res.locals.flash = [] as FlashMessage[];
    res.locals.formatDate = (d: Date | null) => formatDateTime(d, locale);
    if (req.session?.flash?.length && req.method === 'GET') {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    res.renderPage = (view, locals = {}, status = 200) =>
      new Promise<void>((resolve, reject) => {
        const ctx = req.ctx;
        const menu = ctx ? registry.menu.filter((m) => ctx.can(m.requires)) : [];
        // The page and the layout both see the account context and the menu.
        const shared = { ...locals, ctx: ctx ?? null, menu };
        res.render(view, shared, (err, body) => {
          if (err) return reject(err);
          res.render('layout', { ...shared, body }, (err2, html) => {
            if (err2) return reject(err2);
            res.status(status).type('html').send(html);
            resolve();
          });
        });
      });
    next();
  };
}
