/**
 * The runtime's state for the window, answered even while the runtime is being set up:
 *
 * - `GET /api/runtime`: phase, step, problems, error, the log's last lines and copyable diagnostics.
 * - `POST /api/runtime/reset`: rebuild the runtime from scratch (the private token or a window session,
 *   as every route that changes something: an Origin header proves nothing to a server).
 * - `POST /api/runtime/packages` `{"packages": [...], "extras": [...]}`: `udf-studio install` (same guard).
 * - `GET /runtime` and its script and style: a self-contained progress and failure page, so a window
 *   is never blank while the runtime is not ready (`GET /`, the window, leads there until then).
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../../../src-shared/content-security-policy.js';
import { udfError } from '../../../../src-shared/errors.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, requireWindowPage, type ServerServices } from '../services.js';

/** The page's files by route, with their content types. */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/runtime': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/runtime/runtime-page.js': { file: 'runtime-page.js', type: 'text/javascript; charset=utf-8' },
  '/runtime/runtime-page.css': { file: 'runtime-page.css', type: 'text/css; charset=utf-8' },
};

export function registerRuntimeRoutes(router: Router, services: ServerServices): void {
  // A team server shows nothing about this machine without the private token.
  const guard = (ctx: RouteContext): void => {
    if (services.teamMode) requirePrivateToken(services, ctx.req);
  };
  const pageGuard = (ctx: RouteContext): void => {
    if (services.teamMode) requireWindowPage(services, ctx.req);
  };

  router.add('GET', '/api/runtime', (ctx) => {
    guard(ctx);
    sendJson(ctx.res, 200, services.runtime.report(), { 'cache-control': 'no-store' });
  });

  router.add('POST', '/api/runtime/reset', (ctx) => {
    requirePrivateToken(services, ctx.req);
    services.runtime.reset();
    sendJson(ctx.res, 202, services.runtime.report());
  });

  router.add('POST', '/api/runtime/packages', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const body = await readJsonBody(ctx.req);
    const packages = stringList(body.packages, 'packages');
    const extras = body.extras === undefined ? [] : stringList(body.extras, 'extras');
    sendJson(ctx.res, 200, await services.runtime.install(packages, extras));
  });

  for (const [path, { file, type }] of Object.entries(PAGE_FILES)) {
    router.add('GET', path, async (ctx) => {
      pageGuard(ctx);
      const body = await readFile(join(services.resources.runtimePage, file));
      ctx.res.writeHead(200, {
        'content-type': type, 'content-length': String(body.length), 'cache-control': 'no-cache',
        'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff',
      });
      ctx.res.end(body);
    });
  }
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${field}" must be a list of strings, such as ["mercantile"]`);
  }
  return value;
}
