import { Router } from 'express';
import { pingDb, type Db } from '../db/knex';

/** For load balancers and orchestrators: 200 when the database answers, 503 when it does not. */
export function healthRoutes(db: Db) {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const up = await pingDb(db);
    res.status(up ? 200 : 503).set('Cache-Control', 'no-store').json({ status: up ? 'ok' : 'degraded', db: up ? 'ok' : 'down' });
  });
  return router;
}
