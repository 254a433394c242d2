import { Router } from 'express';
import { me } from '../audit/actor';
import { requireLogin } from '../http/guards';
import type { MyDataService } from './my-data.service';

/** GET /me/data: "Baixar meus dados", the signed-in person's own data as a JSON download. */
export function myDataRoutes(myData: MyDataService) {
  const router = Router();
  router.get('/me/data', requireLogin, async (req, res) => {
    const data = await myData.export(me(req));
    res.set('Content-Disposition', `attachment; filename="meus-dados-${new Date().toISOString().slice(0, 10)}.json"`);
    res.set('Cache-Control', 'no-store');
    res.type('application/json').send(JSON.stringify(data, null, 2));
  });
  return router;
}
