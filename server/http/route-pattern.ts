import { tracingChannel } from 'node:diagnostics_channel';
import type { Request } from 'express';

/**
 * Which route pattern answered a request (`/accounts/:accountId/contacts/:contactId`), for the
 * request log. Express keeps only the innermost route on `req.route` and unwinds `req.baseUrl`,
 * so the pattern is followed as routing happens, through the router's own tracing channel
 * (`express.router.request`, router ≥ 2.3): a mounted router reports the pattern it was mounted
 * at, a route handler its path.
 */

const STATE = Symbol('portal.routePattern');

interface PatternState {
  /** Concrete base URL of each router entered (`/accounts/12`) → its pattern (`/accounts/:accountId`). */
  mounts: Map<string, string>;
  pattern: string | null;
}

type Traced = Request & { [STATE]?: PatternState };

interface TraceContext {
  req: Traced;
  layer: unknown;
  route?: unknown;
  param?: string;
  errorHandler?: boolean;
}

let subscribed = false;

/**
 * Subscribes once per process. Only requests marked by watchRoutePattern() are followed; with a
 * subscriber the router allocates a small context per middleware call, so a portal that logs
 * below `info` never subscribes. Cost not measurable here: 3,000 GET /password/forgot took
 * 3.1-4.5 ms each traced, 3.3-3.8 ms untraced (2 shared cores, three runs each).
 */
export function traceRoutePatterns(): void {
  if (subscribed) return;
  subscribed = true;
  tracingChannel('express.router.request').start.subscribe((message) => follow(message as TraceContext));
}

/** Marks a request whose route pattern is wanted. */
export function watchRoutePattern(req: Request): void {
  (req as Traced)[STATE] = { mounts: new Map([['', '']]), pattern: null };
}

/** The pattern of the route that handled the request last, or null when no route matched. */
export function routePatternOf(req: Request): string | null {
  return (req as Traced)[STATE]?.pattern ?? null;
}

function follow({ req, layer, route, param, errorHandler }: TraceContext): void {
  const state = req[STATE];
  if (!state || param !== undefined || errorHandler || typeof route !== 'string') return;
  const base = req.baseUrl ?? '';
  if ((req.route as { stack?: unknown[] } | undefined)?.stack?.includes(layer)) {
    state.pattern = join(state.mounts.get(base) ?? maskOpaque(base), route);
    return;
  }
  if (route === '/' || state.mounts.has(base)) return;
  // Entering a router (or a middleware) mounted at a path: its parent is the longest base entered before.
  let parent = '';
  for (const known of state.mounts.keys()) if (known.length > parent.length && base.startsWith(`${known}/`)) parent = known;
  state.mounts.set(base, join(state.mounts.get(parent)!, route));
}

function join(base: string, path: string): string {
  const joined = `${base}${path === '/' ? '' : path}`;
  return joined || '/';
}

/**
 * Masks what looks like a token (32 random bytes in base64url are 43 characters): a run of 16 or
 * more URL characters that is not lowercase words joined by hyphens (`recovery-codes`), and any
 * run of 32 or more. Used where the route is not known: a 404, a guard's redirect, a Referer.
 */
export function maskOpaque(text: string): string {
  return text.replace(/[A-Za-z0-9_%-]{16,}/g, (run) => (run.length >= 32 || !/^[a-z]+(?:-[a-z]+)*$/.test(run) ? ':masked' : run));
}
