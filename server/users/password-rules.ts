import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { MIN_PASSWORD_LENGTH } from '../users/passwords';

// zxcvbn's common-password and keyboard-pattern lists; its score 3 is "safely unguessable". Loaded
// on the first password checked: the lists took ~0.2 s of every start-up.
let strength: Promise<ZxcvbnFactory> | undefined;
const strengthChecker = () =>
  (strength ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([{ ZxcvbnFactory: Factory }, { adjacencyGraphs, dictionary }]) => new Factory({ dictionary, graphs: adjacencyGraphs }),
  ));
const MIN_SCORE = 3;

/** The i18n key of the first broken rule, or null: length, not the e-mail, not a common password. */
export async function passwordProblem(password: string, email: string): Promise<string | null> {
  if (password.length < MIN_PASSWORD_LENGTH) return 'invitations.register.passwordTooShort';
  if (password.length > 200) return 'validation.tooLong';
  const lower = password.toLowerCase();
  const mail = email.toLowerCase();
  const local = mail.split('@')[0] ?? '';
  // A blank e-mail (a form sent without one) is "contained" in every password: its field says so instead.
  if ((mail && lower.includes(mail)) || (local.length >= 4 && lower.includes(local))) return 'invitations.register.passwordIsEmail';
  const result = await (await strengthChecker()).check(password, [email, local]);
  return result.score < MIN_SCORE ? 'invitations.register.passwordCommon' : null;
}
