import { expect } from 'chai';
import supertest from 'supertest';
import { sharedPortal, startPortal } from '../support/portal';

describe('GET /healthz', () => {
  it('answers ok when the database answers', async () => {
    const portal = await sharedPortal();
    const res = await supertest(portal.app).get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok', db: 'ok' });
  });

  it('answers 503 with db down when the database is unreachable', async () => {
    const portal = await startPortal();
    await portal.db.destroy(); // the pool is gone: every query fails
    const res = await supertest(portal.app).get('/healthz');
    expect(res.status).to.equal(503);
    expect(res.body.db).to.equal('down');
  });
});
