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
    // A session cookie in a log line is a login for whoever reads the logs.
    // Nor a CPF, an e-mail or a name searched for: query values and typed answers stay out (LGPD).
    serializers: {
      req: ({ query: _values, ...req }: { url?: string; query?: unknown; headers?: Record<string, unknown> }) => ({
        ...req,
        url: req.url === undefined ? undefined : withoutQueryValues(req.url),
        headers: withoutPersonalData(withoutSecrets(req.headers)),
      }),
      res: (res: { headers?: Record<string, unknown> }) => ({ ...res, headers: withoutSecrets(res.headers) }),
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url?.startsWith('/public/') === true },
  });
}

const SECRET_HEADERS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'x-csrf-token']);

function withoutSecrets(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value;
  return out;
}

// Headers that carry a page's address, query included, or what the user typed (hx-prompt).
const URL_HEADERS = new Set(['referer', 'hx-current-url']);
const TYPED_HEADERS = new Set(['hx-prompt']);

/** `/contacts?q=529.982&page=2` → `/contacts?q=&page=`: which parameters, not what they held. */
function withoutQueryValues(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const names = url.slice(start + 1).split('&').map((pair) => `${pair.split('=')[0]}=`);
  return `${url.slice(0, start)}?${names.join('&')}`;
}

function withoutPersonalData(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out[name] = TYPED_HEADERS.has(key) ? '[redacted]' : URL_HEADERS.has(key) && typeof value === 'string' ? withoutQueryValues(value) : value;
  }
  return out;
}
