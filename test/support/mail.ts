import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type { ParsedMail };

export interface SmtpListener {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every message accepted so far, in arrival order. */
  messages: ParsedMail[];
  /** The first message (already arrived or arriving within `ms`) that matches. */
  waitFor(pred: (m: ParsedMail) => boolean, ms?: number): Promise<ParsedMail>;
  /** The next `n` messages are refused with a temporary error (451), as a server in trouble does. */
  refuseNext(n: number): void;
  /**
   * From now on each message's DATA is read but not answered until `release()`, as a slow server
   * does; `holding` resolves once one is being held. A held message is not in `messages` yet.
   */
  holdData(): { holding: Promise<void>; release(): void };
  close(): Promise<void>;
}

/**
 * A real SMTP server in this process: what the portal sends arrives here, parsed by mailparser.
 * `port`: listen where a closed listener was (the same SMTP_URL), as a server that came back does.
 */
export async function startSmtp(options: { port?: number } = {}): Promise<SmtpListener> {
  const messages: ParsedMail[] = [];
  const waiting = new Set<() => void>();
  let refusals = 0;
  let hold: { held: () => void; released: Promise<void> } | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      if (refusals > 0) {
        refusals--;
        return callback(Object.assign(new Error('Service temporarily unavailable'), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (hold) {
            hold.held();
            await hold.released;
          }
          messages.push(mail);
          for (const wake of waiting) wake();
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext(n) {
      refusals = n;
    },
    holdData() {
      let held!: () => void;
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      hold = { held, released: new Promise<void>((resolve) => (release = resolve)) };
      return { holding, release: () => { hold = null; release(); } };
    },
    waitFor(pred, ms = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(pred);
          if (!found) return false;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no matching message arrived within ${ms} ms (${messages.length} arrived: ${messages.map((m) => m.subject).join(' | ')})`));
        }, ms);
        if (!check()) waiting.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let shared: Promise<SmtpListener> | undefined;

/** The run's shared listener: the shared portal (and any portal started without SMTP_URL) sends here. */
export function sharedSmtp(): Promise<SmtpListener> {
  shared ??= startSmtp();
  return shared;
}

export async function closeSharedSmtp(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).close();
}

/** Addressed to this e-mail (messages of other tests share the listener). */
export const to = (email: string) => (m: ParsedMail) => {
  const list = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
  return list.some((a) => a.value.some((v) => v.address?.toLowerCase() === email.toLowerCase()));
};
