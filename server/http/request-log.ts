import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { maskOpaque, traceRoutePatterns, routePatternOf, watchRoutePattern } from './route-pattern';

/** A caller's own X-Request-Id when it looks like one (proxies, load balancers), or a new UUID. */
function requestId(req: Request, res: Response): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

interface SerializedReq {
  raw?: Request;
  url?: string;
  query?: unknown;
  params?: unknown;
  headers?: Record<string, unknown>;
}

/**
 * Every request gets an id (answered as X-Request-Id, kept in audit events); pino-http logs each
 * response at `info`. pino-http serializes the request into a child logger on arrival whether or
 * not anything is logged (a tenth of a millisecond per request), so below `info` only the id is set.
 *
 * The line names the route that answered (`/invitations/:token`), not the path asked for: links
 * in e-mails carry one-time tokens as path segments, and a token in a log is a login for whoever
 * reads it. The route is known only after routing, so the request is serialized when the response
 * finishes (quietReqLogger: `req.log` carries only the id), never on arrival.
 */
export function requestLogging(logger: Logger) {
  if (!logger.isLevelEnabled('info')) {
    return (req: Request, res: Response, next: NextFunction) => {
      req.id = requestId(req, res);
      next();
    };
  }
  traceRoutePatterns();
  const log = pinoHttp({
    logger: logger.child({}, { redact: REDACT }),
    genReqId: (req, res) => requestId(req as Request, res as Response),
    quietReqLogger: true,
    quietResLogger: true,
    // The message says it all in one short line (the console in development shows only it).
    customSuccessMessage: (req, res, responseTime) => `${req.method} ${urlOf(req as Request)} ${res.statusCode} ${Math.round(responseTime)}ms`,
    customSuccessObject: (req, _res, val: object) => ({ req, ...val }),
    customErrorObject: (req, _res, _err, val: object) => ({ req, ...val }),
    // Nor a CPF, an e-mail or a name searched for: query values stay out (LGPD); headers: REDACT.
    serializers: {
      req: (serialized: SerializedReq) => {
        const { query: _values, params: _params, ...req } = serialized;
        const raw = serialized.raw; // not enumerable: left behind by the spread
        return {
          ...req,
          url: raw ? urlOf(raw) : undefined,
          params: raw ? idsOf(raw.params) : undefined,
          headers: req.headers,
        };
      },
      res: (res: { headers?: Record<string, unknown> }) => res,
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url?.startsWith('/public/') === true },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    watchRoutePattern(req);
    log(req, res, next);
  };
}

/** The route pattern that answered, or (nothing matched: a 404, a guard's redirect) the path with its opaque segments masked; query names only. */
function urlOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const start = url.indexOf('?');
  const path = start === -1 ? url : url.slice(0, start);
  const query = start === -1 ? '' : withoutQueryValues(url.slice(start));
  return `${routePatternOf(req) ?? maskOpaque(path)}${query}`;
}

/** Ids in the path (account, contact) stay: they say which record, and a token is never all digits. */
function idsOf(params: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!params) return undefined;
  const ids = Object.entries(params).filter(([, v]) => typeof v === 'string' && /^\d{1,18}$/.test(v));
  return ids.length ? (Object.fromEntries(ids) as Record<string, string>) : undefined;
}

// Headers that carry a page's address, query included (another page's, or where an answer sends the
// browser: a login sends it back to the invitation it opened).
const ADDRESS_HEADERS = ['referer', 'hx-current-url'];
const ANSWER_ADDRESS_HEADERS = ['location', 'content-location', 'refresh', 'link', 'hx-redirect', 'hx-location', 'hx-push-url', 'hx-replace-url'];
// A session cookie or a CSRF token in a log line is a login for whoever reads the logs; hx-prompt is what the user typed.
const SECRET_REQUEST_HEADERS = ['cookie', 'authorization', 'proxy-authorization', 'x-csrf-token', 'hx-prompt'];
const SECRET_ANSWER_HEADERS = ['set-cookie'];

/** `/contacts?q=529.982&page=2` → `/contacts?q=&page=`: which parameters, not what they held. */
function withoutQueryValues(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const names = url.slice(start + 1).split('&').map((pair) => `${pair.split('=')[0]}=`);
  return `${url.slice(0, start)}?${names.join('&')}`;
}

/** An address another page had: no query values, no token (its route is not known here). */
const maskedAddress = (value: unknown) => (typeof value === 'string' ? maskOpaque(withoutQueryValues(value)) : value);

const header = (side: 'req' | 'res', name: string) => `${side}.headers["${name}"]`;
const isAddress = new Set([...ADDRESS_HEADERS, ...ANSWER_ADDRESS_HEADERS]);

/** pino's redaction: secrets become "[redacted]", addresses lose their query values and tokens. */
const REDACT = {
  paths: [
    ...SECRET_REQUEST_HEADERS.map((h) => header('req', h)), ...SECRET_ANSWER_HEADERS.map((h) => header('res', h)),
    ...ADDRESS_HEADERS.map((h) => header('req', h)), ...ANSWER_ADDRESS_HEADERS.map((h) => header('res', h)),
  ],
  censor: (value: unknown, path: string[]) => (isAddress.has(path.at(-1)!) ? maskedAddress(value) : '[redacted]'),
};
