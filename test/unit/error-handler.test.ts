import { expect } from 'chai';
import express from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { errorHandler } from '../../server/http/errors';

/** An app whose one route fails with `err`, answered by the portal's error handler. */
function failingWith(err: unknown) {
  const app = express();
  app.post('/save', () => {
    throw err;
  });
  app.use(errorHandler(pino({ level: 'silent' }), false));
  return app;
}

/** What mysql2 hands back when Galera aborted a transaction for another node's commit (or InnoDB found a deadlock). */
const conflict = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });

describe('the error handler', () => {
  it('a write whose every rerun met a conflicting write is a 503 asking to send it again, not a 500', async () => {
    const res = await supertest(failingWith(conflict())).post('/save').set('Accept', 'application/json');
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('2');
    expect(res.body).to.deep.equal({ error: 'Muitas alterações ao mesmo tempo: nada foi gravado. Envie de novo em alguns segundos.' });

    const htmx = await supertest(failingWith(conflict())).post('/save').set('HX-Request', 'true');
    expect(htmx.status).to.equal(503);
    expect(htmx.text).to.equal('Muitas alterações ao mesmo tempo: nada foi gravado. Envie de novo em alguns segundos.');
  });

  it('a connection the driver gave up on (its node killed mid-transaction) is the 503 "unavailable", not a 500', async () => {
    const closed = Object.assign(new Error("ROLLBACK - Can't add new command when connection is in closed state"), { fatal: true });
    const res = await supertest(failingWith(closed)).post('/save').set('Accept', 'application/json');
    expect(res.status).to.equal(503);
    expect(res.body).to.deep.equal({ error: 'O portal não consegue acessar seus dados neste momento. Tente novamente em alguns instantes.' });
  });

  it('any other database error stays a 500 with the general message', async () => {
    const res = await supertest(failingWith(Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205 }))).post('/save').set('Accept', 'application/json');
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.equal({ error: 'Ocorreu um erro inesperado. Tente novamente em instantes.' });
  });
});
