import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import supertest from 'supertest';
import { loadConfig } from '../../server/config';
import { createPortal } from '../../server/portal';
import { freshDatabaseUrl } from '../support/databases';
import { testEnv } from '../support/portal';

/** A portal whose logger writes JSON lines into `lines`. */
async function portalLoggingAt(level: string, lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return createPortal(loadConfig(testEnv({ DATABASE_URL: await freshDatabaseUrl() })), { logger: pino({ level }, sink) });
}

describe('request ids and the request log', () => {
  it('at info: one line per answered request, with its id, method, URL and status; the id is answered as X-Request-Id', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const res = await supertest(portal.app).get('/login');
      const id = res.headers['x-request-id'];
      expect(id).to.match(/^[0-9a-f-]{36}$/);
      const idOf = (l: Record<string, unknown>) => (l.req as { id?: string } | undefined)?.id;
      const line = lines.find((l) => idOf(l) === id);
      expect(line, JSON.stringify(lines)).to.not.equal(undefined);
      expect(line!.req).to.include({ method: 'GET', url: '/login' });
      expect((line!.res as { statusCode: number }).statusCode).to.equal(res.status);
      // A proxy's own id is kept, so one id follows the request through every log.
      const given = await supertest(portal.app).get('/login').set('X-Request-Id', 'lb-7f3a.01');
      expect(given.headers['x-request-id']).to.equal('lb-7f3a.01');
      expect(lines.some((l) => idOf(l) === 'lb-7f3a.01')).to.equal(true);
    } finally {
      await portal.close();
    }
  });

  it('never logs the session cookie, the CSRF token or credentials: neither sent nor set', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const agent = supertest.agent(portal.app);
      const login = await agent.get('/login');
      const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
      expect(cookie).to.match(/^portal\.sid=.{20,}/);
      await agent.get('/login').set('X-CSRF-Token', 'token-de-teste-123').set('Authorization', 'Basic c2VncmVkbw==');
      const text = JSON.stringify(lines);
      expect(lines.length).to.be.at.least(2);
      for (const secret of [cookie.slice('portal.sid='.length), 'token-de-teste-123', 'c2VncmVkbw==']) expect(text).to.not.contain(secret);
      const sent = lines.find((l) => (l.req as { headers: Record<string, string> }).headers?.cookie);
      expect((sent!.req as { headers: Record<string, string> }).headers.cookie).to.equal('[redacted]');
      expect((lines[0]!.res as { headers: Record<string, string> }).headers['set-cookie']).to.equal('[redacted]');
      expect((sent!.req as { headers: Record<string, string> }).headers.host).to.be.a('string');
    } finally {
      await portal.close();
    }
  });

  it('below info nothing is logged for a request, and every answer still carries an id (a bad one given is replaced)', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('warn', lines);
    try {
      const res = await supertest(portal.app).get('/login').set('X-Request-Id', 'no spaces <allowed>');
      expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(lines).to.deep.equal([]);
    } finally {
      await portal.close();
    }
  });
});
