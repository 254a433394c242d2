import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config';

const SECRET = 'a-session-secret-that-is-long-enough-0123';
/** What production requires besides SESSION_SECRET. */
const PRODUCTION_MAIL = { PUBLIC_URL: 'https://portal.example.com', SMTP_URL: 'smtp://mailer:pw@mail.example.com:587' };

/** Runs loadConfig and hands back the ConfigError it must throw. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('loadConfig accepted an invalid environment');
}

const problemsOf = (err: ConfigError, variable: string) => err.problems.filter((p) => p.startsWith(`${variable}:`));

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('fills in the defaults: development, port 3000, SQLite under DATA_DIR, 30-minute idle and 12-hour sessions, login limits', () => {
    const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    expect(config.env).to.equal('development');
    expect(config.port).to.equal(3000);
    expect(config.host).to.equal('0.0.0.0');
    expect(config.database).to.deep.equal({ client: 'sqlite', filename: path.join(dataDir, 'portal.sqlite') });
    expect(config.sessionSecret).to.equal(SECRET);
    expect(config.sessionIdleMs).to.equal(30 * 60_000);
    expect(config.sessionMaxMs).to.equal(12 * 3_600_000);
    expect(config.trustProxy).to.equal(0);
    expect(config.loginLimits).to.deep.equal({ perEmail: 5, perIp: 50, blockSeconds: 15 * 60 });
    expect(config.extraPlugins).to.deep.equal([]);
    expect(config.disabledPlugins).to.deep.equal([]);
    expect(config.publicUrl).to.equal('http://localhost:3000');
    expect(config.mail).to.deep.equal({ smtpUrl: null, from: 'Portal <no-reply@localhost>', retentionDays: 30 });
  });

  it('reads the variables it is given', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATA_DIR: dataDir,
      DATABASE_URL: 'mysql://portal:pw@db.internal:3306/portal_prod',
      SESSION_SECRET: SECRET,
      SESSION_IDLE_MINUTES: '45',
      SESSION_MAX_HOURS: '8',
      TRUST_PROXY: '1',
      LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3',
      PORTAL_PLUGINS: ' ./a , b ',
      PUBLIC_URL: 'https://portal.example.com/clientes/',
      SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
      MAIL_FROM: 'Portal ACME <portal@example.com>',
    });
    expect(config.env).to.equal('production');
    expect(config.port).to.equal(8080);
    expect(config.database).to.deep.equal({ client: 'mysql', url: 'mysql://portal:pw@db.internal:3306/portal_prod', database: 'portal_prod' });
    expect(config.sessionIdleMs).to.equal(45 * 60_000);
    expect(config.sessionMaxMs).to.equal(8 * 3_600_000);
    expect(config.trustProxy).to.equal(1);
    expect(config.loginLimits.perEmail).to.equal(3);
    expect(config.extraPlugins).to.deep.equal(['./a', 'b']);
    expect(config.publicUrl).to.equal('https://portal.example.com/clientes');
    expect(config.mail).to.deep.equal({ smtpUrl: 'smtps://mailer:pw@mail.example.com:465', from: 'Portal ACME <portal@example.com>', retentionDays: 30 });
  });

  it('outside production, links in e-mails start with the address the portal listens on', () => {
    expect(loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, PORT: '8081' }).publicUrl).to.equal('http://localhost:8081');
  });

  it('MAIL_FROM defaults to no-reply at the PUBLIC_URL host', () => {
    const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, PUBLIC_URL: 'https://portal.example.com' });
    expect(config.mail.from).to.equal('Portal <no-reply@portal.example.com>');
  });

  it('MAIL_RETENTION_DAYS: sent messages are kept 30 days unless told otherwise, a whole number of days from 1', () => {
    expect(loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET }).mail.retentionDays).to.equal(30);
    expect(loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, MAIL_RETENTION_DAYS: '7' }).mail.retentionDays).to.equal(7);
    for (const bad of ['0', '-3', '1.5', 'forever']) expect(problemsOf(configError({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, MAIL_RETENTION_DAYS: bad }), 'MAIL_RETENTION_DAYS'), bad).to.have.length(1);
  });

  it('requires PUBLIC_URL and SMTP_URL in production, one clear line each', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    expect(err.problems).to.have.length(2);
    expect(problemsOf(err, 'PUBLIC_URL')[0]).to.match(/^PUBLIC_URL: required when NODE_ENV=production/);
    expect(problemsOf(err, 'SMTP_URL')[0]).to.match(/^SMTP_URL: required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, SESSION_SECRET: SECRET, ...PRODUCTION_MAIL })).not.to.throw();
  });

  it('refuses a PUBLIC_URL that is not an http(s) address and an SMTP_URL that is not smtp(s)://, without echoing its password', () => {
    const err = configError({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, PUBLIC_URL: 'portal.example.com', SMTP_URL: 'http://user:s3cr3t@mail.example.com' });
    expect(problemsOf(err, 'PUBLIC_URL')).to.have.length(1);
    expect(problemsOf(err, 'SMTP_URL')).to.have.length(1);
    expect(err.message).not.to.contain('s3cr3t');
  });

  it('accepts mariadb:// and hands knex a mysql:// URL', () => {
    const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, DATABASE_URL: 'mariadb://root@127.0.0.1:3306/portal' });
    expect(config.database).to.deep.equal({ client: 'mysql', url: 'mysql://root@127.0.0.1:3306/portal', database: 'portal' });
  });

  it('outside production, without SESSION_SECRET, generates one secret and keeps it across restarts', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.sessionSecret).to.have.length.of.at.least(32);
    expect(readFileSync(path.join(dataDir, 'session-secret'), 'utf8').trim()).to.equal(first.sessionSecret);
    expect(loadConfig({ DATA_DIR: dataDir }).sessionSecret).to.equal(first.sessionSecret);
  });

  it('refuses a PORT that is not a number or out of range, naming PORT', () => {
    for (const PORT of ['abc', '70000']) {
      const err = configError({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, PORT });
      expect(err.problems).to.have.length(1);
      expect(err.problems[0]).to.match(/^PORT: must be a port number/);
      expect(err.message).to.contain('PORT: must be a port number');
    }
  });

  it('refuses a DATABASE_URL that is neither mysql:// nor sqlite:, naming DATABASE_URL', () => {
    for (const DATABASE_URL of ['postgres://u@h/db', 'mysql://host-without-database']) {
      const err = configError({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, DATABASE_URL });
      expect(err.problems).to.have.length(1);
      expect(err.problems[0]).to.match(/^DATABASE_URL: must be mysql:\/\//);
    }
  });

  it('refuses a SESSION_SECRET shorter than 32 characters', () => {
    const err = configError({ DATA_DIR: dataDir, SESSION_SECRET: 'too-short' });
    expect(err.problems).to.deep.equal(['SESSION_SECRET: must be at least 32 characters']);
  });

  it('requires SESSION_SECRET in production', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, ...PRODUCTION_MAIL });
    expect(err.problems).to.have.length(1);
    expect(err.problems[0]).to.match(/^SESSION_SECRET: required when NODE_ENV=production/);
  });

  it('refuses an unknown NODE_ENV', () => {
    const err = configError({ NODE_ENV: 'staging', DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    expect(problemsOf(err, 'NODE_ENV')).to.deep.equal(['NODE_ENV: must be development, production or test']);
  });

  it('TRUST_PROXY takes what express takes: a number of proxies, or their addresses and ranges', () => {
    const trust = (TRUST_PROXY: string) => loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, TRUST_PROXY }).trustProxy;
    expect(trust('2')).to.equal(2);
    expect(trust('0')).to.equal(0);
    expect(trust('false')).to.equal(0);
    expect(trust('10.0.0.0/8, 192.168.1.5 ,loopback')).to.deep.equal(['10.0.0.0/8', '192.168.1.5', 'loopback']);
    expect(trust('fd00::/8,::1')).to.deep.equal(['fd00::/8', '::1']);
  });

  it('refuses TRUST_PROXY=true (it would trust every hop, so a client could name its own address) and anything not an address', () => {
    for (const TRUST_PROXY of ['true', 'yes', 'maybe', '10.0.0.0/33', '300.1.1.1', '-1']) {
      const err = configError({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, TRUST_PROXY });
      expect(problemsOf(err, 'TRUST_PROXY'), TRUST_PROXY).to.have.length(1);
      expect(err.problems[0], TRUST_PROXY).to.contain('number of proxies');
    }
  });

  it('reports every bad variable at once, one line each', () => {
    const err = configError({
      DATA_DIR: dataDir,
      PORT: 'abc',
      DATABASE_URL: 'postgres://u@h/db',
      SESSION_SECRET: 'short',
      SESSION_IDLE_MINUTES: '0',
      SESSION_MAX_HOURS: '0',
    });
    expect(err.problems).to.have.length(5);
    for (const variable of ['PORT', 'DATABASE_URL', 'SESSION_SECRET', 'SESSION_IDLE_MINUTES', 'SESSION_MAX_HOURS']) {
      expect(problemsOf(err, variable), variable).to.have.length(1);
      expect(err.message).to.contain(`  - ${variable}: `);
    }
  });

  it('reports a missing production SESSION_SECRET together with the other problems', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: 'abc', DATABASE_URL: 'ftp://x/y', ...PRODUCTION_MAIL });
    expect(err.problems).to.have.length(3);
    expect(problemsOf(err, 'PORT')).to.have.length(1);
    expect(problemsOf(err, 'DATABASE_URL')).to.have.length(1);
    expect(problemsOf(err, 'SESSION_SECRET')).to.have.length(1);
  });
});
