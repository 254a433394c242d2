import type { NextFunction, Request, Response } from 'express';

/** Pages for signed-in users only: a page asked for goes to the login form and comes back after it. */
export function requireLogin(req: Request, res: Response, next: NextFunction) {
  if (req.isAuthenticated()) return next();
  if (req.method === 'GET' && req.accepts('html')) {
    if (req.session) req.session.returnTo = req.originalUrl;
    if (req.get('hx-request') === 'true') {
      res.set('HX-Redirect', '/login').status(401).end();
      return;
    }
    return res.redirect('/login');
  }
  res.status(401).type('text').send('Unauthorized');
}
