/**
 * "Open in QGIS" from a tile UDF's page:
 *
 * - `POST /api/udfs/{name}/qgis` with `{"params"?: {NAME: "value"}, "colorBy"?: "column"}`: writes
 *   a layer file for the UDF's tiles (the home's `qgis/NAME.qlr`) through a new shared token, and
 *   opens it in QGIS when QGIS is installed (not on a team server). Answers a QgisLayerAnswer.
 */

import { udfError } from '../../../../src-shared/errors.js';
import type { QgisLayerAnswer } from '../../../../src-shared/qgis.js';
import { openInQgis } from '../../qgis/qgis-program.js';
import { defaultLayerFile, ensureLayerFolder, writeQgisLayer } from '../../qgis/qgis-layer.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import { stringParams } from '../../../../src-shared/query-names.js';
import type { Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BODY_FIELDS = new Set(['params', 'colorBy']);
const TEAM_SERVER = 'a team server does not start programs on its own machine for its clients; the file is on the server';

export function registerQgisRoutes(router: Router, services: ServerServices): void {
  router.add('POST', '/api/udfs/:name/qgis', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const body = await readJsonBody(ctx.req);
    const unknown = Object.keys(body).filter((field) => !BODY_FIELDS.has(field));
    if (unknown.length > 0) throw udfError('UDF_ERR_BAD_REQUEST', `unknown field ${unknown.join(', ')}; the body takes "params" and "colorBy"`);
    const params = stringParams(body.params);
    if (body.colorBy !== undefined && body.colorBy !== null && typeof body.colorBy !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"colorBy" must be a column name');
    const { engine, tokens } = services;
    const udf = engine.workspace.resolveName(ctx.params.name as string);
    const file = defaultLayerFile(engine.paths.root, udf.name);
    ensureLayerFolder(file);
    const layer = await writeQgisLayer(engine, tokens, {
      udf, params, colorBy: body.colorBy ?? null, out: file, owner: services.account().email,
      serverUrl: `http://${ctx.req.headers.host ?? ctx.url.host}`,
    });
    // A team server's windows are on other machines: QGIS would start on the server's desktop.
    const opened = services.teamMode ? { opened: false, notOpened: TEAM_SERVER } : await openInQgis(layer.file, services.app?.env ?? process.env);
    const answer: QgisLayerAnswer = { file: layer.file, kind: layer.kind, token: layer.token, tileUrl: layer.tileUrl, ...opened };
    sendJson(ctx.res, 201, answer);
  });
}
