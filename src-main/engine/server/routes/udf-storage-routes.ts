/**
 * Fused's UDF storage routes, answered from the workspace, all with the private token: list,
 * read by id or slug, create, update and delete. The official client saves with them
 * (`udf.to_fused()`, `udf.delete_saved()`, `fused.api.get_udfs()`), and another UDF Studio syncs
 * with them. Records are {@link UdfRecord}s. Ids are kept: a UDF created with an id gets it as its
 * `fused:id`.
 *
 * An update may carry `base_hash`, the content hash the sender last saw: when the UDF has changed
 * since, the answer is 409 UDF_ERR_SYNC_CONFLICT and nothing is written.
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { udfError } from '../../../../src-shared/errors.js';
import { contentHash, parseUdfBody, removeUdfFolder, udfBodyOf, writeUdfFolder, UDF_NAME_PATTERN } from '../../remote/udf-body.js';
import { DEFAULT_COLLECTION, folderForCollection, listSaved, savedById, udfRecord, type SavedUdf } from '../../workspace/saved-udfs.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BASE = '/server/v1/udf';
const ID_PATTERN = /^[A-Za-z0-9:_.-]{1,200}$/;
/** Fused's `udf_type` values; `app` UDFs are the ones whose metadata says so. */
const UDF_TYPES = new Set(['auto', 'udf', 'app']);
const MAX_PAGE = 10_000;

export function registerUdfStorageRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };
  const engine = () => services.engine;

  // One user, one workspace: "self" and the team's ("exec-env") list the same UDFs.
  for (const list of [`${BASE}/self`, `${BASE}/exec-env/self`]) {
    router.add('GET', list, authorised((ctx) => sendJson(ctx.res, 200, page(listSaved(engine()), ctx.query).map(udfRecord))));
  }

  router.add('GET', `${BASE}/by-id/:id`, authorised((ctx) => sendJson(ctx.res, 200, udfRecord(savedById(engine(), ctx.params.id as string)))));

  router.add('GET', `${BASE}/exec-env/self/by-slug/:slug`, authorised((ctx) => {
    const slug = ctx.params.slug as string;
    const found = listSaved(engine()).find(({ udf }) => udf.name === slug);
    if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF named "${slug}"`);
    sendJson(ctx.res, 200, udfRecord(found));
  }));

  router.add('POST', `${BASE}/new`, authorised(async (ctx) => {
    const request = await readJsonBody(ctx.req);
    const body = parseUdfBody(request.udf_body, 'UDF_ERR_BAD_REQUEST');
    const { collection } = clientFields(request);
    const slug = request.slug === undefined || request.slug === null ? body.name : request.slug;
    if (typeof slug !== 'string' || !UDF_NAME_PATTERN.test(slug)) throw udfError('UDF_ERR_BAD_REQUEST', '"slug" must be a UDF name: a letter or _, then letters, digits, _ or - (at most 100)');
    const id = request.id === undefined || request.id === null ? randomUUID() : request.id;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw udfError('UDF_ERR_BAD_REQUEST', '"id" must be 1 to 200 letters, digits or : _ . -');
    const parent = folderForCollection(engine().workspace, collection);
    const stored = listSaved(engine());
    const sameId = stored.find((entry) => entry.id === id);
    if (sameId) throw udfError('UDF_ERR_SYNC_CONFLICT', `a UDF with id ${id} already exists here ("${sameId.udf.name}"); update it with POST ${BASE}/by-id/${id}`);
    const sameName = stored.find((entry) => entry.udf.name === slug);
    if (sameName) throw udfError('UDF_ERR_SYNC_CONFLICT', `a different UDF named "${slug}" already exists here (id ${sameName.id})`);
    if (existsSync(join(parent, slug))) throw udfError('UDF_ERR_SYNC_CONFLICT', `the folder ${slug} already exists in ${parent} and is not a readable UDF`);
    const dir = writeUdfFolder(parent, slug, { ...body, name: slug }, id);
    sendJson(ctx.res, 201, udfRecord(reread(services, dir)));
  }));

  router.add('POST', `${BASE}/by-id/:id`, authorised(async (ctx) => {
    const request = await readJsonBody(ctx.req);
    const body = parseUdfBody(request.udf_body, 'UDF_ERR_BAD_REQUEST');
    clientFields(request);
    const id = ctx.params.id as string;
    const current = savedById(engine(), id).udf;
    if (request.base_hash !== undefined && request.base_hash !== null) {
      if (typeof request.base_hash !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"base_hash" must be the content hash last synced');
      if (request.base_hash !== contentHash(udfBodyOf(current))) throw udfError('UDF_ERR_SYNC_CONFLICT', `"${current.name}" changed here since the sender last synced it; pull it first`);
    }
    // The UDF keeps its name and its place: an update changes what it is, not where it lives.
    const dir = writeUdfFolder(dirname(current.dir), basename(current.dir), { ...body, name: current.name }, id, current);
    sendJson(ctx.res, 200, udfRecord(reread(services, dir)));
  }));

  router.add('DELETE', `${BASE}/by-id/:id`, authorised((ctx) => {
    const current = savedById(engine(), ctx.params.id as string);
    removeUdfFolder(current.udf.dir);
    engine().workspace.refresh();
    sendJson(ctx.res, 200, { id: current.id, deleted: true });
  }));
}

/**
 * The official client's save fields (`SaveUdfRequest`), checked. Only the collection matters (for a
 * new UDF): `udf_type` changes nothing (the metadata already says whether a UDF is an app), nor do
 * the public flags (nothing here is public).
 */
function clientFields(request: Record<string, unknown>): { collection: string } {
  const { udf_type: type, collection_id: collection } = request;
  if (type !== undefined && type !== null && (typeof type !== 'string' || !UDF_TYPES.has(type))) throw udfError('UDF_ERR_BAD_REQUEST', '"udf_type" must be "auto", "udf" or "app"');
  for (const flag of ['allow_public_read', 'allow_public_list']) {
    const value = request[flag];
    if (value !== undefined && value !== null && typeof value !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', `"${flag}" must be true, false or null`);
  }
  if (collection !== undefined && collection !== null && (typeof collection !== 'string' || !UDF_NAME_PATTERN.test(collection))) {
    throw udfError('UDF_ERR_BAD_REQUEST', '"collection_id" must be a collection\'s id (its folder name) or null');
  }
  return { collection: typeof collection === 'string' ? collection : DEFAULT_COLLECTION };
}

/**
 * The client's paging (`skip`, `limit`) and kind filter (`udf_type=app|udf`). Without `limit`
 * everything comes back, as a sync expects.
 */
function page(saved: SavedUdf[], query: URLSearchParams): SavedUdf[] {
  const skip = count(query, 'skip') ?? 0;
  const limit = count(query, 'limit');
  const type = query.get('udf_type');
  if (type !== null && !UDF_TYPES.has(type)) throw udfError('UDF_ERR_BAD_REQUEST', '"udf_type" must be "auto", "udf" or "app"');
  const kept = type === null || type === 'auto' ? saved : saved.filter(({ udf }) => isApp(udf.source.metadata) === (type === 'app'));
  return kept.slice(skip, limit === null ? undefined : skip + limit);
}

function count(query: URLSearchParams, name: string): number | null {
  const text = query.get(name);
  if (text === null) return null;
  if (!/^\d{1,9}$/.test(text) || Number(text) > (name === 'limit' ? MAX_PAGE : Number.MAX_SAFE_INTEGER)) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be a whole number from 0${name === 'limit' ? ` to ${MAX_PAGE}` : ''}`);
  }
  return Number(text);
}

function isApp(metadata: Record<string, unknown>): boolean {
  return metadata['fused:udfType'] === 'app';
}

/** Reads a folder just written and refreshes the workspace snapshot, so the answer and the next request see it. */
function reread(services: ServerServices, dir: string): SavedUdf {
  const { engine } = services;
  engine.workspace.refresh();
  const found = listSaved(engine).find((entry) => entry.udf.dir === dir);
  if (!found) throw udfError('UDF_ERR_BAD_FOLDER', `the UDF written to ${dir} does not read back`);
  return found;
}
