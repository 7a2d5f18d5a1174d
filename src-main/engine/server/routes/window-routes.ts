/**
 * The window itself, served from the built renderer (Vite's output):
 *
 * - `GET /`: index.html with the window's Content-Security-Policy (303 to `/runtime` while the
 *   Python runtime is not ready).
 * - `GET /assets/{file}`: the hashed scripts, styles and images (cached for good).
 * - `GET /session/{ticket}`: a one-time link; sets the session cookie and opens the window with the
 *   session key in the URL fragment (session.ts).
 * - `GET /api/session`: 204 when the request carries a window session (cookie and key); the pages
 *   check a key from their address with it before keeping it, since any site can send the browser
 *   here with a made-up one.
 *
 * The page itself holds no secret: without a session every API call it makes is a 401, and the
 * window says how to get a link. On a team server the page, too, needs the token or a session.
 */

import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../../../src-shared/content-security-policy.js';
import { udfError } from '../../../../src-shared/errors.js';
import type { RouteContext, Router } from '../router.js';
import { appOf, requirePrivateToken, requireWindowPage, type ServerServices } from '../services.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export function registerWindowRoutes(router: Router, services: ServerServices): void {
  // A team server shows nothing without a token (here: the private token or a window session).
  const guard = (ctx: RouteContext): void => {
    if (services.teamMode) requireWindowPage(services, ctx.req);
  };

  router.add('GET', '/', async (ctx) => {
    guard(ctx);
    // Until the Python runtime is ready, the runtime page shows its progress (and comes back here).
    if (!services.runtime.ready) {
      ctx.res.writeHead(303, { location: '/runtime', 'content-length': '0', 'cache-control': 'no-store' });
      ctx.res.end();
      return;
    }
    const html = await readRendererFile(services, 'index.html');
    ctx.res.writeHead(200, {
      ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES['.html'] as string, 'content-length': String(html.length),
      'cache-control': 'no-cache', 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-frame-options': 'DENY',
    });
    ctx.res.end(html);
  });

  router.add('GET', '/assets/:file', async (ctx) => {
    guard(ctx);
    const name = ctx.params.file as string;
    const type = CONTENT_TYPES[extname(name)];
    if (!ASSET_NAME.test(name) || name.includes('..') || !type) throw udfError('UDF_ERR_ROUTE', `no asset ${name}`);
    const bytes = await readRendererFile(services, join('assets', name));
    ctx.res.writeHead(200, {
      ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(bytes.length), 'cache-control': 'public, max-age=31536000, immutable',
    });
    ctx.res.end(bytes);
  });

  router.add('GET', '/session/:ticket', (ctx) => {
    const sessions = services.sessions;
    const redeemed = sessions?.redeem(ctx.params.ticket as string) ?? null;
    if (!sessions || !redeemed) {
      const page = Buffer.from(LINK_USED_PAGE);
      ctx.res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES['.html'] as string, 'content-length': String(page.length), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      ctx.res.end(page);
      return;
    }
    // 303 so a reload of the window does not try to use the link again; the key rides in the
    // fragment, which the browser keeps for the page and never sends on.
    ctx.res.writeHead(303, {
      ...SECURITY_HEADERS, location: sessions.landing(redeemed.key), 'set-cookie': sessions.cookie(redeemed.session), 'cache-control': 'no-store',
    });
    ctx.res.end();
  });

  router.add('GET', '/api/session', (ctx) => {
    requirePrivateToken(services, ctx.req);
    ctx.res.writeHead(204, { 'cache-control': 'no-store' });
    ctx.res.end();
  });
}

async function readRendererFile(services: ServerServices, relativePath: string): Promise<Buffer> {
  const dir = appOf(services).rendererDir;
  try {
    return await readFile(join(dir, relativePath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (relativePath === 'index.html') throw udfError('UDF_ERR_ROUTE', `the window is not built (no ${join(dir, 'index.html')}); run "npm run build"`);
    throw udfError('UDF_ERR_ROUTE', `no asset ${relativePath}`);
  }
}

const LINK_USED_PAGE = `<!doctype html><meta charset="utf-8"><title>UDF Studio</title>
<body style="font:15px/1.5 system-ui,sans-serif;max-width:34em;margin:15vh auto;color:#1f2933">
<h1 style="font-size:20px">This window link has expired</h1>
<p>Each link opens the window once, within ten minutes. Get a new one from the terminal running
<code>udf-studio serve</code> (it prints one when it starts), or restart the app.</p></body>`;
