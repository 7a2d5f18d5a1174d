/**
 * The engine's HTTP server: Fused's hosted routes for local UDFs, TileJSON, token management,
 * `/healthz`, and the window (its files, its session link and its `/api/*`), on 127.0.0.1 by default.
 *
 * Every request passes the same gate: a URL length limit, the Host check against DNS rebinding,
 * CORS only for token URLs, then the router; every error goes through one adapter.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { udfError } from '../../../src-shared/errors.js';
import { AnswerMemo } from './answer-memo.js';
import { sendError, sendJson } from './http-response.js';
import { Router } from './router.js';
import { registerAccountRoutes } from './routes/account-routes.js';
import { registerAppEventsRoute } from './routes/app-events-route.js';
import { registerAppLibraryRoutes } from './routes/app-library-routes.js';
import { registerAppRunRoutes } from './routes/app-run-routes.js';
import { registerAppStatusRoutes } from './routes/app-status-routes.js';
import { registerAppTokenRoutes } from './routes/app-token-routes.js';
import { registerBatchJobRoutes } from './routes/batch-job-routes.js';
import { registerCacheRoutes } from './routes/cache-routes.js';
import { registerClusterRoutes } from './routes/cluster-routes.js';
import { registerCodeRunRoutes } from './routes/code-run-routes.js';
import { registerExportRoutes } from './routes/export-routes.js';
import { registerFileRoutes } from './routes/file-routes.js';
import { registerJobRoutes } from './routes/job-routes.js';
import { registerQgisRoutes } from './routes/qgis-routes.js';
import { registerRemoteRoutes } from './routes/remote-routes.js';
import { registerRunRoutes, registerTokenFileRoute } from './routes/run-routes.js';
import { registerRuntimeRoutes } from './routes/runtime-routes.js';
import { registerSecretRoutes } from './routes/secret-routes.js';
import { registerTokenRoutes } from './routes/token-routes.js';
import { registerCollectionRoutes } from './routes/collection-routes.js';
import { registerUdfLookupRoutes } from './routes/udf-lookup-routes.js';
import { registerUdfStorageRoutes } from './routes/udf-storage-routes.js';
import { registerWindowRoutes } from './routes/window-routes.js';
import { requirePrivateToken, type ServerServices } from './services.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './default-address.js';

/** Longer URLs are refused before routing (parameters belong in a POST body past this). */
export const MAX_URL_LENGTH = 8_192;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const NO_HEADERS = {};
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-fused-metadata, x-fused-cached, x-udf-studio-cache, x-udf-studio-cache-error, etag',
};
/** Allowed methods matter only to a preflight: every other answer leaves them out. */
const PREFLIGHT_HEADERS = { ...CORS_HEADERS, 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '600' };

/** Builds the router with every route; exported so tests can list the routes. */
export function buildRouter(services: ServerServices, memo = new AnswerMemo(services)): Router {
  const router = new Router();
  router.add('GET', '/healthz', (ctx) => {
    // A team server answers nothing without a token, its health included.
    if (services.teamMode) requirePrivateToken(services, ctx.req);
    // Up but degraded when the result cache cannot store results (disk full, index locked): runs still answer.
    const problem = services.engine.storageProblem();
    const workers = services.engine.pool.workerPids().length;
    sendJson(ctx.res, 200, problem ? { status: 'degraded', workers, problems: [problem] } : { status: 'ok', workers });
  });
  registerAccountRoutes(router, services);
  registerTokenRoutes(router, services);
  registerCacheRoutes(router, services);
  registerRuntimeRoutes(router, services);
  registerJobRoutes(router, services);
  registerExportRoutes(router, services);
  registerBatchJobRoutes(router, services);
  registerFileRoutes(router, services);
  registerUdfStorageRoutes(router, services);
  registerUdfLookupRoutes(router, services);
  registerCollectionRoutes(router, services);
  registerRemoteRoutes(router, services);
  registerClusterRoutes(router, services);
  registerSecretRoutes(router, services);
  registerRunRoutes(router, services, memo);
  registerCodeRunRoutes(router, services);
  registerWindowRoutes(router, services);
  registerAppLibraryRoutes(router, services);
  registerAppRunRoutes(router, services);
  registerAppStatusRoutes(router, services);
  registerAppTokenRoutes(router, services);
  registerQgisRoutes(router, services);
  registerAppEventsRoute(router, services);
  registerTokenFileRoute(router, services, memo);
  return router;
}

/** The request handler, separate from listening so tests can drive it without a socket too. */
export function createRequestHandler(services: ServerServices): (req: IncomingMessage, res: ServerResponse) => void {
  const memo = new AnswerMemo(services);
  const router = buildRouter(services, memo);
  return (req, res) => {
    void handle(router, memo, services, req, res).catch((error: unknown) => sendError(res, error, {}, services.log));
  };
}

async function handle(router: Router, memo: AnswerMemo, services: ServerServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/';
  if (rawUrl.length > MAX_URL_LENGTH) throw udfError('UDF_ERR_URI_TOO_LONG', `the URL is ${rawUrl.length} characters; the limit is ${MAX_URL_LENGTH}`);
  checkHost(services, req);
  // A repeated cache hit on a shared-token URL: answered without routing (answer-memo.ts).
  if ((req.method === 'GET' || req.method === 'HEAD') && memo.serve(req, res, rawUrl)) return;
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://localhost');
  } catch {
    throw udfError('UDF_ERR_BAD_REQUEST', 'the request URL cannot be parsed');
  }
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    const corsRoute = router.routesFor(url.pathname).some((route) => route.cors);
    res.writeHead(corsRoute ? 204 : 404, corsRoute ? PREFLIGHT_HEADERS : {});
    res.end();
    return;
  }
  const { route, params } = router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
  const headers = route.cors ? CORS_HEADERS : NO_HEADERS;
  try {
    await route.handler({ req, res, params, query: url.searchParams, url, headers });
  } catch (error) {
    sendError(res, error, headers, services.log);
  }
}

/** A Host header as RFC 9110 has it: a bracketed IPv6 literal or a name, then an optional port. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+)(?::\d{1,5})?$/;

/** Refuses requests whose Host header is not a loopback name (DNS rebinding), unless told otherwise. */
function checkHost(services: ServerServices, req: IncomingMessage): void {
  if (services.allowAnyHost) return;
  const host = req.headers.host;
  if (host === undefined) return;
  const name = HOST_HEADER.exec(host)?.[1];
  if (name === undefined || !LOOPBACK_HOSTS.has(name.toLowerCase())) {
    throw udfError('UDF_ERR_HOST', `the Host header "${host}" is not a loopback name; UDF Studio answers only localhost`);
  }
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port; a port in use is a clear error. */
export function listen(services: ServerServices, port = DEFAULT_PORT, host = DEFAULT_HOST): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, createRequestHandler(services));
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(udfError('UDF_ERR_USAGE', `port ${port} on ${host} is already in use; pick another with --port`));
      else if (error.code === 'EACCES') reject(udfError('UDF_ERR_USAGE', `no permission to listen on ${host}:${port}; pick a port above 1024`));
      else reject(error);
    });
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        port: address.port,
        url: `http://${shownHost}:${address.port}`,
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
