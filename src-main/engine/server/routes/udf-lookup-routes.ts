/**
 * Fused's routes for finding a saved UDF by its owner and name, as the official client's
 * `fused.load("Name")`, `fused.load("email/Name")`, `fused.load("handle/Name")` and
 * `fused.load("team/Name")` (and their async forms) send them, with the private token:
 *
 * - `/udf/by-user-email/{email}/by-collection/{collection}/by-slug/{slug}`
 * - `/udf/by-user-handle/{handle}/by-collection/{collection}/by-slug/{slug}`
 * - `/udf/exec-env/self/by-collection/{collection}/by-slug/{slug}` (the team's)
 *
 * There is one account here (src-main/engine/account.ts): another owner's UDFs are a 404 that says
 * so. The answer is the storage routes' record (src-main/engine/workspace/saved-udfs.ts explains
 * what a collection is locally).
 */

import { udfError } from '../../../../src-shared/errors.js';
import { isLocalOwner } from '../../account.js';
import { savedByName, udfRecord } from '../../workspace/saved-udfs.js';
import { sendJson } from '../http-response.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BASE = '/server/v1/udf';
const BY_NAME = 'by-collection/:collection/by-slug/:slug';

export function registerUdfLookupRoutes(router: Router, services: ServerServices): void {
  const lookup = (ownerOf: (ctx: RouteContext) => string | null) => (ctx: RouteContext): void => {
    requirePrivateToken(services, ctx.req);
    const owner = ownerOf(ctx);
    if (owner !== null) requireLocalOwner(services, owner);
    const saved = savedByName(services.engine, ctx.params.slug as string, ctx.params.collection);
    sendJson(ctx.res, 200, udfRecord(saved));
  };
  router.add('GET', `${BASE}/by-user-email/:email/${BY_NAME}`, lookup((ctx) => ctx.params.email as string));
  router.add('GET', `${BASE}/by-user-handle/:handle/${BY_NAME}`, lookup((ctx) => ctx.params.handle as string));
  router.add('GET', `${BASE}/exec-env/self/${BY_NAME}`, lookup(() => null));
}

function requireLocalOwner(services: ServerServices, owner: string): void {
  const account = services.account();
  if (isLocalOwner(account, owner)) return;
  throw udfError('UDF_ERR_NOT_FOUND', `"${owner}" has no UDFs here: this UDF Studio serves only its own account's (${account.email}, handle ${account.handle}, or "team")`);
}
