import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { sharedSmtp, to } from '../../support/mail';
import { csrfFrom, type Agent, type TestPortal } from '../../support/portal';
import { cpf } from 'cpf-cnpj-validator';
import { distinctCpf, type Admin } from './contacts';

/** POSTs the "Convidar usuários" form as the administrator. */
export const invite = (s: Admin, form: Record<string, string | string[]>) =>
  s.agent.post(`/accounts/${s.accountId}/invitations`).type('form').send({ _csrf: s.csrf, profile: 'member', ...form });

/** The answer per address, as the results table shows it: address → outcome text. */
export function outcomes(html: string): Record<string, string> {
  const section = /<section class="card" id="invitation-results">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const rows = [...section.matchAll(/<tr class="outcome-[a-z]+">\s*<td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>/g)];
  return Object.fromEntries(rows.map((m) => [m[1]!, m[2]!]));
}

/**
 * Delivers the outbox through the real SMTP listener and answers the newest message to `email`
 * whose text carries a link under `prefix`, with that link's path.
 */
export async function mailedLink(portal: TestPortal, email: string, prefix: '/invitations/' | '/invitations/confirm/'): Promise<{ mail: ParsedMail; path: string }> {
  await portal.deliverMail();
  const smtp = await sharedSmtp();
  const re = prefix === '/invitations/' ? /https?:\/\/[^/\s]+(\/invitations\/[A-Za-z0-9_-]{43})(?=\s|$)/ : /https?:\/\/[^/\s]+(\/invitations\/confirm\/[A-Za-z0-9_-]{43})(?=\s|$)/;
  await smtp.waitFor((m) => to(email)(m) && re.test(m.text ?? ''));
  const mails = smtp.messages.filter((m) => to(email)(m) && re.test(m.text ?? ''));
  const mail = mails[mails.length - 1]!;
  const path = re.exec(mail.text!)![1]!;
  expect(mail.text).to.contain(`http://portal.test${path}`);
  return { mail, path };
}

/** The registration form, filled in validly (a Brazilian person). */
export const registration = (overrides: Record<string, string> = {}) => ({
  country: 'BR', name: 'Pessoa Convidada', document: cpf.format(distinctCpf()), areaCode: '11', phone: '987654321',
  password: 'vaga-lume azul no telhado', passwordConfirmation: 'vaga-lume azul no telhado', ...overrides,
});

/** Opens the e-mailed confirmation link and presses "Confirmar e-mail", as the person does. */
export async function confirmEmail(a: Agent, path: string) {
  const csrf = await csrfFrom(a, path);
  return a.post(path).type('form').send({ _csrf: csrf });
}
