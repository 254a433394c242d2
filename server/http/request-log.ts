import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** A caller's own X-Request-Id when it looks like one (proxies, load balancers), or a new UUID. */
function requestId(req: Request, res: Response): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Every request gets an id (answered as X-Request-Id, kept in audit events); pino-http logs each
 * response at `info`. pino-http serializes the request into a child logger on arrival whether or
 * not anything is logged (a tenth of a millisecond per request), so below `info` only the id is set.
 */
export function requestLogging(logger: Logger) {
  if (!logger.isLevelEnabled('info')) {
    return (req: Request, res: Response, next: NextFunction) => {
      req.id = requestId(req, res);
      next();
    };
  }
  return pinoHttp({
    logger,
    genReqId: (req, res) => requestId(req as Request, res as Response),
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url?.startsWith('/public/') === true },
  });
}
