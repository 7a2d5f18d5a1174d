/**
 * Fused's collection routes that saving a UDF needs, with the private token:
 * `GET /server/v1/collection/by-name/{name}` (`udf.to_fused(collection_name=...)` asks it for the
 * collection's id) and `POST /server/v1/collection/new` (`create_collection=True`).
 *
 * A collection is a collection folder: a folder with collection.json in a workspace folder; its id
 * is its name. `default` is the workspace itself (src-main/engine/workspace/saved-udfs.ts).
 */

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { udfError } from '../../../../src-shared/errors.js';
import { UDF_NAME_PATTERN } from '../../remote/udf-body.js';
import { DEFAULT_COLLECTION } from '../../workspace/saved-udfs.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BASE = '/server/v1/collection';
const ACCESS_SCOPES = new Set(['team', 'private', 'public', 'world']);

/** A collection as the official client's `Collection` model reads it. */
interface CollectionRecord {
  id: string;
  name: string;
  username: string;
  access_scope: 'team';
  last_updated: string;
  allow_public_read: false;
  dashboard_body: null;
  share_token: null;
  share_client_id: null;
}

export function registerCollectionRoutes(router: Router, services: ServerServices): void {
  router.add('GET', `${BASE}/by-name/:name`, (ctx) => {
    requirePrivateToken(services, ctx.req);
    const name = ctx.params.name as string;
    const dir = collectionDir(services, name);
    if (!dir) throw udfError('UDF_ERR_NOT_FOUND', `there is no collection "${name}" (a folder with collection.json) in ${services.engine.workspace.folders.join(', ')}`);
    sendJson(ctx.res, 200, collectionRecord(services, name, dir));
  });

  router.add('POST', `${BASE}/new`, async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const request = await readJsonBody(ctx.req);
    const { name, access_scope: scope } = request;
    if (typeof name !== 'string' || !UDF_NAME_PATTERN.test(name)) throw udfError('UDF_ERR_BAD_REQUEST', '"name" must be a folder name: a letter or _, then letters, digits, _ or - (at most 100)');
    if (scope !== undefined && scope !== null && (typeof scope !== 'string' || !ACCESS_SCOPES.has(scope))) throw udfError('UDF_ERR_BAD_REQUEST', '"access_scope" must be "team", "private", "public" or "world"');
    // Creating a collection that exists answers it: the client only creates after failing to find one.
    const existing = collectionDir(services, name);
    if (existing) {
      sendJson(ctx.res, 200, collectionRecord(services, name, existing));
      return;
    }
    const dir = join(services.engine.workspace.folders[0] as string, name);
    if (existsSync(dir)) throw udfError('UDF_ERR_BAD_REQUEST', `${dir} exists and is not a collection folder (it has no collection.json)`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'collection.json'), `${JSON.stringify({ name }, null, 2)}\n`);
    sendJson(ctx.res, 201, collectionRecord(services, name, dir));
  });
}

/** The folder of collection `name` (`default`: the first workspace folder), or null. */
function collectionDir(services: ServerServices, name: string): string | null {
  const { workspace } = services.engine;
  if (name === DEFAULT_COLLECTION) return workspace.folders[0] as string;
  return workspace.collectionDirs(name)[0] ?? null;
}

function collectionRecord(services: ServerServices, name: string, dir: string): CollectionRecord {
  return {
    id: name,
    name,
    username: services.account().handle,
    access_scope: 'team',
    last_updated: statSync(dir).mtime.toISOString(),
    allow_public_read: false,
    dashboard_body: null,
    share_token: null,
    share_client_id: null,
  };
}
