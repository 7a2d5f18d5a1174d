/**
 * `GET /api/events`: the window's event stream (server-sent events). Every engine event (jobs,
 * settled workspace changes, run logs) goes out as one `data:` line of JSON; the window never polls.
 */

import { SESSION_KEY, type AppEvent, type StorageProblemData } from '../../../../src-shared/app-api.js';
import type { Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

/** A comment line this often keeps proxies and idle timers from closing the stream. */
const HEARTBEAT_MS = 20_000;
/** How soon the browser reconnects after the stream drops (the engine restarted, say). */
const RETRY_MS = 1_000;

function storageProblemOf(services: ServerServices): StorageProblemData | null {
  try {
    return services.engine.storageProblem();
  } catch {
    return null; // no engine yet (the runtime is being set up): nothing is being cached either
  }
}

export function registerAppEventsRoute(router: Router, services: ServerServices): void {
  router.add('GET', '/api/events', (ctx) => {
    requirePrivateToken(services, ctx.req, ctx.query.get(SESSION_KEY.query));
    const { req, res } = ctx;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const send = (event: AppEvent): void => {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    res.write(`retry: ${RETRY_MS}\n\n`);
    send({ type: 'hello', at: new Date().toISOString() });
    // A window that opens while the cache cannot store results learns it at once, not at the next change.
    const problem = storageProblemOf(services);
    if (problem) send({ type: 'storage', problem });
    const stop = services.events.subscribe(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.socket.setNoDelay(true);
    req.once('close', () => {
      clearInterval(heartbeat);
      stop();
    });
  });
}
