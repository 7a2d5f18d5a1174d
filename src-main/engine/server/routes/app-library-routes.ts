/**
 * The window's library API, authorised like every private route (the private token, or the
 * window's session cookie from its own origin):
 *
 * - `GET /api/library`: every UDF with its badges; `GET /api/udfs/{name}`: a UDF's page.
 * - `POST /api/udfs`: a new UDF from a template; `POST /api/udfs/{name}/duplicate`;
 *   `POST /api/examples/{name}/copy`: a bundled example into the workspace.
 * - `POST /api/udfs/{name}/files/{file}`: save its code, a header module or its README.
 * - `DELETE /api/udfs/{name}`: to the system trash (or for good with `?permanent=true`).
 * - `POST /api/udfs/{name}/reveal`, `POST /api/udfs/{name}/open`: the file manager, the editor.
 *
 * Changes go to disk only; the workspace watcher notices them and tells the window.
 */

import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { udfError } from '../../../../src-shared/errors.js';
import { editorCommand, launch, revealCommand } from '../../desktop/open-external.js';
import { moveToTrash } from '../../desktop/trash.js';
import { duplicateUdf, saveUdfFile } from '../../workspace/udf-files.js';
import { writeUdfFromTemplate } from '../../workspace/udf-template.js';
import type { UdfFolder } from '../../workspace/udf-folder.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { appOf, requirePrivateToken, type ServerServices } from '../services.js';

export function registerAppLibraryRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };
  const library = () => appOf(services).library;
  /** Answers a new UDF folder once the lookup has it (the watcher's refresh comes later): the window opens it at once. */
  const sendCreated = (ctx: RouteContext, dir: string): void => {
    services.engine.workspace.refresh();
    sendJson(ctx.res, 201, { name: basename(dir), dir });
  };

  router.add('GET', '/api/library', authorised(async (ctx) => sendJson(ctx.res, 200, await library().list())));

  router.add('GET', '/api/udfs/:name', authorised(async (ctx) => sendJson(ctx.res, 200, await library().detail(ctx.params.name as string))));

  router.add('POST', '/api/udfs', authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const name = stringField(body, 'name');
    const template = body.template ?? 'table';
    if (template !== 'table' && template !== 'tile') throw udfError('UDF_ERR_BAD_REQUEST', '"template" must be "table" or "tile"');
    const folder = typeof body.workspace === 'string' ? body.workspace : services.engine.workspace.folders[0];
    if (!folder || !services.engine.workspace.folders.includes(folder)) throw udfError('UDF_ERR_BAD_REQUEST', '"workspace" must be one of the workspace folders');
    sendCreated(ctx, writeUdfFromTemplate(folder, name, template));
  }));

  router.add('POST', '/api/examples/:name/copy', authorised((ctx) => {
    sendCreated(ctx, library().copyExample(ctx.params.name as string));
  }));

  router.add('POST', '/api/udfs/:name/duplicate', authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    sendCreated(ctx, duplicateUdf(runnable(services, ctx), stringField(body, 'name')));
  }));

  router.add('POST', '/api/udfs/:name/files/:file', authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    if (typeof body.content !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "content": the file\'s new text');
    if (body.base !== undefined && typeof body.base !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"base" must be the text the edits started from (a string)');
    const path = saveUdfFile(runnable(services, ctx), ctx.params.file as string, body.content, body.base);
    sendJson(ctx.res, 200, { saved: path });
  }));

  router.add('DELETE', '/api/udfs/:name', authorised((ctx) => {
    const entry = library().workspaceEntry(ctx.params.name as string);
    if (ctx.query.get('permanent') === 'true') {
      rmSync(entry.dir, { recursive: true, force: true });
      sendJson(ctx.res, 200, { deleted: entry.dir, trash: null });
      return;
    }
    sendJson(ctx.res, 200, { deleted: entry.dir, trash: moveToTrash(entry.dir, appOf(services).env) });
  }));

  router.add('POST', '/api/udfs/:name/reveal', authorised(async (ctx) => {
    const entry = library().entry(ctx.params.name as string);
    await launch(revealCommand(entry.dir), appOf(services).env);
    sendJson(ctx.res, 200, { opened: entry.dir });
  }));

  router.add('POST', '/api/udfs/:name/open', authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const udf = runnable(services, ctx);
    const line = body.line === undefined || body.line === null ? null : body.line;
    if (line !== null && (typeof line !== 'number' || !Number.isInteger(line) || line < 1)) throw udfError('UDF_ERR_BAD_REQUEST', '"line" must be a whole number from 1');
    const file = udf.source.path;
    if (!file) throw udfError('UDF_ERR_BAD_REQUEST', `${udf.name} has inline code in meta.json, not a file to open`);
    const app = appOf(services);
    await launch(editorCommand(app.settings.read().editorCommand, file, line), app.env);
    sendJson(ctx.res, 200, { opened: file });
  }));
}

/** The UDF the route names, loaded (a broken folder or a node template is a clear error). */
function runnable(services: ServerServices, ctx: RouteContext): UdfFolder {
  const entry = appOf(services).library.workspaceEntry(ctx.params.name as string);
  if (entry.kind === 'udf') return entry;
  if (entry.kind === 'node-template') throw udfError('UDF_ERR_NODE_TEMPLATE', `${entry.name} is a node template, not a UDF`);
  throw udfError(entry.error.code, entry.error.message, entry.error.file ? { file: entry.error.file, ...(entry.error.line ? { line: entry.error.line } : {}) } : {});
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || !value.trim()) throw udfError('UDF_ERR_BAD_REQUEST', `the body needs "${name}" (a string)`);
  return value.trim();
}
