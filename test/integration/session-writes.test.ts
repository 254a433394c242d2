import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import { createAccount, PASSWORD } from '../support/fixtures';
import { agent, login, sharedPortal } from '../support/portal';

/** What mysql2 hands back when Galera's certification aborted a write (another node wrote the row first). */
const conflict = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });

/**
 * On a Galera cluster the session's second write at sign-in (the sign-in time, as the 303 goes out)
 * can reach a node that has not applied the first one yet, and be aborted at commit. Here every
 * session write of the library fails that way once, as such a node would make it.
 */
describe('session writes aborted by a conflicting write', () => {
  const original = ConnectSessionKnexStore.prototype.set;
  let aborted = 0;
  beforeEach(() => {
    aborted = 0;
    const failed = new Set<string>();
    ConnectSessionKnexStore.prototype.set = async function (this: ConnectSessionKnexStore, sid, sess, callback) {
      const key = `${sid}:${JSON.stringify(sess)}`;
      if (!failed.has(key)) {
        failed.add(key);
        aborted++;
        callback?.(conflict());
        throw conflict();
      }
      return original.call(this, sid, sess, callback);
    };
  });
  afterEach(() => {
    ConnectSessionKnexStore.prototype.set = original;
  });

  it('are written again: the person who signed in is still signed in on the next page', async () => {
    const portal = await sharedPortal();
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const res = await login(a, admin.email, PASSWORD);
    expect(res.status).to.equal(303);
    expect(aborted, 'session writes aborted once each').to.be.greaterThan(0);
    const me = await a.get('/me');
    expect(me.status).to.equal(200);
    expect(me.text).to.contain(admin.email);
  });
});

/**
 * A browser follows a redirect as soon as the headers arrive; express-session writes a changed
 * session while the answer's last byte waits. fetch resolves on the headers too: it is that browser.
 */
describe('a redirect that changed the session', () => {
  const original = ConnectSessionKnexStore.prototype.set;
  let server: http.Server;
  let base: string;
  before(async () => {
    const portal = await sharedPortal();
    server = http.createServer(portal.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    // A slow database (a Galera commit, a busy server): each session write takes 300 ms.
    ConnectSessionKnexStore.prototype.set = async function (this: ConnectSessionKnexStore, sid, sess, callback) {
      await new Promise((r) => setTimeout(r, 300));
      return original.call(this, sid, sess, callback);
    };
  });
  afterEach(() => {
    ConnectSessionKnexStore.prototype.set = original;
  });

  const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

  it('is written before its headers go out: the page the browser follows it to finds the person signed in', async () => {
    const { admin } = await createAccount((await sharedPortal()).db);
    const page = await fetch(`${base}/login`);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const signedIn = await fetch(`${base}/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie: cookieOf(page), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, email: admin.email, password: PASSWORD }),
    });
    expect(signedIn.status).to.equal(303);
    // Straight on, without waiting for the rest of the answer, as a browser does.
    const me = await fetch(`${base}/me`, { redirect: 'manual', headers: { cookie: cookieOf(signedIn) } });
    expect(me.status, `Meu perfil sent the person to ${me.headers.get('location')}`).to.equal(200);
    await signedIn.arrayBuffer();
    await me.arrayBuffer();
  });
});
