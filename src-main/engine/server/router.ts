/**
 * A small path router: patterns of literal and `:param` segments, matched segment by segment, and
 * an optional last `*param` segment that takes the rest of the path (one segment or more).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { udfError } from '../../../src-shared/errors.js';

export type Method = 'GET' | 'POST' | 'DELETE' | 'OPTIONS';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  url: URL;
  /** Headers every answer on this route carries (CORS on token URLs). */
  headers: Readonly<Record<string, string>>;
}

export type Handler = (context: RouteContext) => Promise<void> | void;

export interface Route {
  method: Method;
  /** e.g. `/server/v1/realtime-shared/:token/run/tiles/:z/:x/:y`, `/files/signed/:kind/*path` */
  pattern: string;
  handler: Handler;
  /** Readable from any origin (token URLs used by map pages); other routes send no CORS headers. */
  cors: boolean;
}

interface CompiledRoute extends Route {
  segments: string[];
  /** The pattern ends in `*param`. */
  rest: boolean;
}

export type RouteMatch = { route: Route; params: Record<string, string> };

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(method: Method, pattern: string, handler: Handler, options: { cors?: boolean } = {}): this {
    const segments = pattern.split('/').filter(Boolean);
    this.routes.push({ method, pattern, handler, cors: options.cors === true, segments, rest: segments.at(-1)?.startsWith('*') === true });
    return this;
  }

  /**
   * Finds the route for a method and path. A path that matches only with another method is a 405;
   * no match at all is a 404. Segments are percent-decoded; a bad escape is a 400.
   */
  match(method: string, pathname: string): RouteMatch {
    const split = pathname.split('/').filter(Boolean);
    const segments = pathname.includes('%') ? split.map(decodeSegment) : split;
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route, segments);
      if (!params) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    if (pathMatched) throw udfError('UDF_ERR_METHOD', `${method} is not allowed on ${pathname}`);
    throw udfError('UDF_ERR_ROUTE', `no route for ${pathname}`);
  }

  /** Every route as `METHOD /pattern` with `{name}` (and `{name...}`) placeholders (for the docs' contract test). */
  list(): string[] {
    return this.routes.map((route) => `${route.method} ${route.pattern.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*([A-Za-z]+)/g, '{$1...}')}`);
  }

  /** The routes a path matches whatever the method (for CORS preflight). */
  routesFor(pathname: string): Route[] {
    const segments = pathname.split('/').filter(Boolean);
    return this.routes.filter((route) => matchSegments(route, segments));
  }
}

/** The route's parameters for a path, or null; literals are compared before anything is built. */
function matchSegments(route: CompiledRoute, path: string[]): Record<string, string> | null {
  const pattern = route.segments;
  if (route.rest ? path.length < pattern.length : pattern.length !== path.length) return null;
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    if (expected[0] !== ':' && expected[0] !== '*' && expected !== path[i]) return null;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    if (expected[0] === '*') params[expected.slice(1)] = path.slice(i).join('/');
    else if (expected[0] === ':') params[expected.slice(1)] = path[i] as string;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw udfError('UDF_ERR_BAD_REQUEST', `the path segment "${segment}" is not valid percent-encoding`);
  }
}
