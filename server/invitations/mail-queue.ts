import type { MailService } from '../mail/mail.service';

/** What invitations need of the outbox: a message written in the caller's transaction. */
export type MailQueue = Pick<MailService, 'enqueue' | 'enqueueJobs' | 'render'>;
