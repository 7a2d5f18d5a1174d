/**
 * Fused's UDF storage routes, answered from the workspace, so a UDF Studio server can be another
 * instance's remote: read a UDF by id or slug, list them, create, update and delete, all with the
 * private token. Records are `{id, slug, udf_body, content_hash}` (`udf_body` a JSON string, as Fused
 * sends it). Ids are kept: a UDF created with an id gets it as its `fused:id`.
 *
 * An update may carry `base_hash`, the content hash the sender last saw: when the UDF has changed
 * since, the answer is 409 UDF_ERR_SYNC_CONFLICT and nothing is written.
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { udfError } from '../../../../src-shared/errors.js';
import { contentHash, parseUdfBody, removeUdfFolder, udfBodyOf, writeUdfFolder, UDF_NAME_PATTERN, type UdfBody } from '../../remote/udf-body.js';
import type { UdfFolder } from '../../workspace/udf-folder.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BASE = '/server/v1/udf';
const ID_PATTERN = /^[A-Za-z0-9:_.-]{1,200}$/;

/** A stored UDF as the storage routes answer it. */
export interface UdfRecord {
  id: string;
  slug: string;
  udf_body: string;
  content_hash: string;
}

export function registerUdfStorageRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };

  router.add('GET', `${BASE}/self`, authorised((ctx) => {
    sendJson(ctx.res, 200, storedUdfs(services).map(({ id, udf }) => ({ id, slug: udf.name, content_hash: contentHash(udfBodyOf(udf)) })));
  }));

  router.add('GET', `${BASE}/by-id/:id`, authorised((ctx) => sendJson(ctx.res, 200, recordOf(services, byId(services, ctx.params.id as string)))));

  router.add('GET', `${BASE}/exec-env/self/by-slug/:slug`, authorised((ctx) => {
    const slug = ctx.params.slug as string;
    const found = storedUdfs(services).find(({ udf }) => udf.name === slug);
    if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF named "${slug}"`);
    sendJson(ctx.res, 200, recordOf(services, found.udf));
  }));

  router.add('POST', `${BASE}/new`, authorised(async (ctx) => {
    const request = await readJsonBody(ctx.req);
    const body = parseUdfBody(request.udf_body, 'UDF_ERR_BAD_REQUEST');
    const slug = request.slug === undefined ? body.name : request.slug;
    if (typeof slug !== 'string' || !UDF_NAME_PATTERN.test(slug)) throw udfError('UDF_ERR_BAD_REQUEST', '"slug" must be a UDF name: a letter or _, then letters, digits, _ or -');
    const id = request.id === undefined || request.id === null ? randomUUID() : request.id;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw udfError('UDF_ERR_BAD_REQUEST', '"id" must be 1 to 200 letters, digits or : _ . -');
    const stored = storedUdfs(services);
    const sameId = stored.find((entry) => entry.id === id);
    if (sameId) throw udfError('UDF_ERR_SYNC_CONFLICT', `a UDF with id ${id} already exists here ("${sameId.udf.name}"); update it with POST ${BASE}/by-id/${id}`);
    const sameName = stored.find((entry) => entry.udf.name === slug);
    if (sameName) throw udfError('UDF_ERR_SYNC_CONFLICT', `a different UDF named "${slug}" already exists here (id ${sameName.id})`);
    const parent = services.engine.workspace.folders[0] as string;
    if (existsSync(join(parent, slug))) throw udfError('UDF_ERR_SYNC_CONFLICT', `the folder ${slug} already exists in the workspace and is not a readable UDF`);
    const dir = writeUdfFolder(parent, slug, { ...body, name: slug }, id);
    sendJson(ctx.res, 201, recordOf(services, reread(services, dir)));
  }));

  router.add('POST', `${BASE}/by-id/:id`, authorised(async (ctx) => {
    const request = await readJsonBody(ctx.req);
    const body = parseUdfBody(request.udf_body, 'UDF_ERR_BAD_REQUEST');
    const id = ctx.params.id as string;
    const current = byId(services, id);
    if (request.base_hash !== undefined && request.base_hash !== null) {
      if (typeof request.base_hash !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"base_hash" must be the content hash last synced');
      if (request.base_hash !== contentHash(udfBodyOf(current))) throw udfError('UDF_ERR_SYNC_CONFLICT', `"${current.name}" changed here since the sender last synced it; pull it first`);
    }
    const dir = writeUdfFolder(join(current.dir, '..'), folderName(current), { ...body, name: current.name }, id, current);
    sendJson(ctx.res, 200, recordOf(services, reread(services, dir)));
  }));

  router.add('DELETE', `${BASE}/by-id/:id`, authorised((ctx) => {
    const current = byId(services, ctx.params.id as string);
    removeUdfFolder(current.dir);
    services.engine.workspace.refresh();
    sendJson(ctx.res, 200, { id: ctx.params.id, deleted: true });
  }));
}

/** Every runnable UDF in the workspace with its id. */
function storedUdfs(services: ServerServices): Array<{ id: string; udf: UdfFolder }> {
  const { engine } = services;
  return engine.workspace.list().flatMap((entry) => (entry.kind === 'udf' ? [{ id: engine.udfIds.idFor(entry), udf: entry }] : []));
}

function byId(services: ServerServices, id: string): UdfFolder {
  const found = storedUdfs(services).find((entry) => entry.id === id);
  if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF with id ${id}`);
  return found.udf;
}

export function recordOf(services: ServerServices, udf: UdfFolder): UdfRecord {
  const body: UdfBody = udfBodyOf(udf);
  return { id: services.engine.udfIds.idFor(udf), slug: udf.name, udf_body: JSON.stringify(body), content_hash: contentHash(body) };
}

/** Reads a folder just written and refreshes the workspace snapshot, so the answer and the next request see it. */
function reread(services: ServerServices, dir: string): UdfFolder {
  services.engine.workspace.refresh();
  const found = services.engine.workspace.list().find((entry) => entry.dir === dir);
  if (found?.kind !== 'udf') throw udfError('UDF_ERR_BAD_FOLDER', `the UDF written to ${dir} does not read back`);
  return found;
}

function folderName(udf: UdfFolder): string {
  return udf.dir.split(/[\\/]/).pop() as string;
}
