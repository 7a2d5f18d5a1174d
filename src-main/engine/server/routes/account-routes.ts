/**
 * Who the official client is talking to: `GET /server/v1/user/self` (`fused.api.whoami()`, and the
 * email the client puts before a bare UDF name) and the realtime instances it picks a `client_id`
 * from (`/server/v1/realtime-instance[/available]`).
 */

import { LOCAL_CLIENT_ID } from '../../account.js';
import { sendJson } from '../http-response.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

export function registerAccountRoutes(router: Router, services: ServerServices): void {
  router.add('GET', '/server/v1/user/self', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, services.account());
  });
  const instances = (ctx: RouteContext): void => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, [{ client_id: LOCAL_CLIENT_ID, name: 'UDF Studio (this machine)', preference_rank: 0 }]);
  };
  router.add('GET', '/server/v1/realtime-instance', instances);
  router.add('GET', '/server/v1/realtime-instance/available', instances);
}
