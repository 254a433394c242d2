/**
 * `portal/testing`: a partner tests a plugin's routes and flags against a real portal (SQLite in
 * a temporary folder, every migration run, core's guards and pages), without core's test suite:
 *
 *   const portal = await createTestApp({ plugins: [pluginFolder] });
 *   const account = await portal.account();
 *   const maria = await portal.person(account, { profile: 'custom', flags: ['field-visits.view'] });
 *   const page = await (await portal.signIn(maria)).get(`${account.url}/p/field-visits`);
 *
 * The types are declared here and the portal is loaded at run time so that type-checking a
 * partner's tests reads this file alone, never core's internals.
 */
import type { Express } from 'express';
import type { Knex } from 'knex';
import type { ProfileId } from 'portal/plugin';

export interface TestAppOptions {
  /** Plugin folders (or installed package names), loaded like PORTAL_PLUGINS names them. */
  plugins: string[];
  /** Also load the portal's built-in plugins (default false: only yours). */
  builtInPlugins?: boolean;
  /** Extra environment (e.g. `DATABASE_URL` to test on MySQL/MariaDB). */
  env?: Record<string, string>;
}

export interface TestAccount {
  id: number;
  /** `/accounts/<id>`: prefix of every page of the account. */
  url: string;
  /** The primary administrator. */
  owner: TestPerson;
}

export interface TestPerson {
  contactId: number;
  email: string;
  name: string;
}

export interface TestResponse {
  status: number;
  /** The body as received (HTML is escaped: `&amp;`, `&#39;`…). */
  text: string;
  /** The `Location` header of a redirect. */
  location: string | null;
}

/** A signed-in browser: keeps the session cookie; `post` sends a form with the session's CSRF token. */
export interface TestSession {
  get(path: string): Promise<TestResponse>;
  post(path: string, form?: Record<string, string | string[]>): Promise<TestResponse>;
}

export interface GuardMismatch {
  route: string;
  profile: string;
  expected: 'allowed' | 'denied';
  status: number;
}

export interface PluginTestApp {
  app: Express;
  db: Knex;
  /** Every flag key the running portal knows (core's and the loaded plugins'). */
  flags: ReadonlySet<string>;
  /** A new account with its primary administrator. */
  account(options?: { name?: string }): Promise<TestAccount>;
  /**
   * A contact of `account` who can sign in (default: an active `member`). `flags` are explicit
   * grants, which the permission editor gives only to `profile: 'custom'` (Personalizado): such a
   * contact holds exactly `flags`.
   */
  person(account: TestAccount, options?: { profile?: ProfileId | 'custom'; flags?: string[]; name?: string; status?: 'active' | 'pending' | 'deactivated' }): Promise<TestPerson>;
  signIn(person: TestPerson): Promise<TestSession>;
  /**
   * The route × profile matrix for the loaded plugins: every declared route requested by a
   * contact of each built-in profile and of Personalizado without flags, in a fresh account.
   * Answers the mismatches only (empty when every guard is as declared): a route must answer 403
   * exactly to the profiles that do not hold its `requires`. Record ids in paths are filled
   * with an id that does not exist, so an allowed route may answer 404.
   */
  checkGuards(): Promise<GuardMismatch[]>;
  /** Stops the server, closes the database and removes the temporary folder. */
  close(): Promise<void>;
}

export async function createTestApp(options: TestAppOptions): Promise<PluginTestApp> {
  // A specifier TypeScript does not follow (see the comment at the top).
  const implementation = './test-app.ts';
  const { startTestApp } = (await import(implementation)) as { startTestApp: typeof createTestApp };
  return startTestApp(options);
}
