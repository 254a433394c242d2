import { Router } from 'express';
import { NotFound } from '../errors';
import { idParam } from '../http/forms';
import { linksIn } from './mail.worker';
import type { MailService } from './mail.service';

/**
 * Development only (mounted by createApp when NODE_ENV=development): the outbox as a mailbox, so
 * an invitation or a reset link can be followed without an SMTP server. Open to anyone who reaches
 * the development server, like the mail catchers it stands in for: the invited person has no login.
 */
export function devMailRoutes(mail: MailService) {
  const router = Router();

  router.get('/dev/mail', async (req, res) => {
    await res.renderPage('dev-mail/list', { title: req.t('devMail.title'), messages: await mail.recent() });
  });

  router.get('/dev/mail/:id', async (req, res) => {
    const message = await mail.find(idParam(req, 'id'));
    if (!message) throw new NotFound();
    // Sent or given up: the body was removed (its links carried live tokens); kept and queued ones still have it.
    const removed = (message.status === 'sent' || message.status === 'failed') && !message.text;
    await res.renderPage('dev-mail/show', { title: message.subject || message.template, message, links: linksIn(message.text), removed });
  });

  // The message's own HTML, framed by the page above: sandboxed, no script, nothing fetched.
  router.get('/dev/mail/:id/html', async (req, res) => {
    const message = await mail.find(idParam(req, 'id'));
    if (!message) throw new NotFound();
    res
      .set('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
      .set('X-Frame-Options', 'SAMEORIGIN')
      .type('html')
      .send(message.html);
  });

  return router;
}
