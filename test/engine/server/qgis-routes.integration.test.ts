import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { QgisLayerAnswer } from '../../../src-shared/qgis.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';
import { metaJson, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let server: EngineServer;
/** A stand-in for QGIS: a real program that records the file it was asked to open. */
let fakeQgis: string;
let opened: string;

serverForFile((started) => ({ home, server } = started), { poolSize: 2, prepare });

/** A stand-in QGIS that records what it was asked to open, and the tile UDFs it gets. */
function prepare(home: TestHome): void {
  opened = join(home.root, 'opened.txt');
  fakeQgis = home.write({ 'bin/qgis': `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n` });
  chmodSync(fakeQgis, 0o755);
  home.write({
    'ws/Squares/meta.json': metaJson('Squares', { metadata: { 'fused:udfType': 'vector_tile', 'fused:defaultViewState': { latitude: 48.85, longitude: 2.29, zoom: 12 } } }),
    'ws/Squares/Squares.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None, n: int = 2):
    import geopandas as gpd
    import shapely
    w, s, e, n_ = bounds
    cells = [shapely.box(w + (e - w) * i / n, s, w + (e - w) * (i + 1) / n, n_) for i in range(n)]
    return gpd.GeoDataFrame({"size": [float(i) for i in range(n)], "name": [f"c{i}" for i in range(n)]}, geometry=cells, crs="EPSG:4326")
`,
    'ws/Ramp/meta.json': metaJson('Ramp'),
    'ws/Ramp/Ramp.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import numpy as np
    return np.tile(np.arange(256, dtype="uint8"), (256, 1))
`,
    'ws/Nothing/meta.json': metaJson('Nothing', { metadata: { 'fused:udfType': 'raster' } }),
    'ws/Nothing/Nothing.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    return None
`,
    'ws/Table/meta.json': metaJson('Table'),
    'ws/Table/Table.py': `@fused.udf
def udf(n: int = 1):
    import pandas as pd
    return pd.DataFrame({"n": [n]})
`,
    'ws/Broken/meta.json': metaJson('Broken', { metadata: { 'fused:udfType': 'vector_tile' } }),
    'ws/Broken/Broken.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    raise ValueError("no data here")
`,
  });
  home.env.UDF_STUDIO_QGIS = '';
}

function post(udf: string, body: unknown, headers: Record<string, string> = bearer(server)): Promise<HttpResult> {
  return request(server.url, `/api/udfs/${udf}/qgis`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The window's environment, where the route looks for QGIS (UDF_STUDIO_QGIS). */
function setQgis(program: string): void {
  (server.services.app as { env: NodeJS.ProcessEnv }).env.UDF_STUDIO_QGIS = program;
}

describe('POST /api/udfs/{name}/qgis', () => {
  it('writes a vector tile layer file through a new shared token whose tile URL serves the tiles', async () => {
    const answer = await post('Squares', { params: { n: '3' } });
    expect(answer.status, answer.text).toBe(201);
    const layer = answer.json() as QgisLayerAnswer;
    expect(layer).toMatchObject({ file: join(home.root, 'qgis', 'Squares.qlr'), kind: 'vector', opened: false, notOpened: 'UDF_STUDIO_QGIS is empty, so layer files are not opened' });
    expect(layer.tileUrl).toBe(`${server.url}/${layer.token}/run/tiles/{z}/{x}/{y}.mvt?n=3`);
    // Owner-only: the file holds a token.
    expect(statSync(layer.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.root, 'qgis')).mode & 0o777).toBe(0o700);
    const xml = readFileSync(layer.file, 'utf8');
    expect(xml).toContain(`<datasource>type=xyz&amp;url=${server.url}/${layer.token}/run/tiles/%7Bz%7D/%7Bx%7D/%7By%7D.mvt?n%3D3&amp;zmax=22&amp;zmin=0</datasource>`);
    expect(xml).toContain('<provider>vectortile</provider>');
    // Shown and revocable like any token.
    const token = server.services.tokens.get(layer.token);
    expect(token).toMatchObject({ udf_slug: 'Squares', enabled: true, metadata_json: { created_by: 'open in qgis' } });
    const tile = await request(server.url, new URL(layer.tileUrl.replace('{z}/{x}/{y}', '12/2074/1409')).pathname + '?n=3');
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    server.services.tokens.delete(layer.token);
    expect((await request(server.url, new URL(layer.tileUrl.replace('{z}/{x}/{y}', '12/2074/1409')).pathname)).status).toBe(404);
  });

  it('writes an XYZ raster layer for a UDF whose tiles are images', async () => {
    const answer = await post('Ramp', {});
    expect(answer.status, answer.text).toBe(201);
    const layer = answer.json() as QgisLayerAnswer;
    expect(layer.kind).toBe('raster');
    expect(layer.tileUrl).toBe(`${server.url}/${layer.token}/run/tiles/{z}/{x}/{y}.png`);
    expect(readFileSync(layer.file, 'utf8')).toContain('<provider>wms</provider>');
  });

  it('takes the kind from the UDF\'s type when the tile at its default view is empty', async () => {
    const answer = await post('Nothing', {});
    expect(answer.status, answer.text).toBe(201);
    expect((answer.json() as QgisLayerAnswer).kind).toBe('raster');
  });

  it('colours vector features by the column asked for, and refuses a column the tiles lack', async () => {
    const answer = await post('Squares', { params: { n: '4' }, colorBy: 'size' });
    expect(answer.status, answer.text).toBe(201);
    expect(readFileSync((answer.json() as QgisLayerAnswer).file, 'utf8')).toContain('try(to_real(&quot;size&quot;))');
    const missing = await post('Squares', { colorBy: 'height' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('no column \\"height\\" to colour by (columns at the default view: size, name)');
  });

  it('opens the file in QGIS when there is one, and says why not when it cannot start', async () => {
    setQgis(fakeQgis);
    try {
      const answer = await post('Ramp', {});
      const layer = answer.json() as QgisLayerAnswer;
      expect(layer).toMatchObject({ opened: true, notOpened: null });
      await expect.poll(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : '')).toBe(layer.file);
      // A team server's clients are elsewhere: it never starts QGIS on its own desktop.
      server.services.teamMode = true;
      const team = (await post('Squares', {})).json() as QgisLayerAnswer;
      server.services.teamMode = false;
      expect(team).toMatchObject({ opened: false, notOpened: expect.stringContaining('a team server does not start programs') as unknown });
      expect(readFileSync(opened, 'utf8')).toBe(layer.file);
      setQgis(join(home.root, 'bin', 'no-such-qgis'));
      const failed = (await post('Ramp', {})).json() as QgisLayerAnswer;
      expect(failed.opened).toBe(false);
      expect(failed.notOpened).toMatch(/cannot run ".*no-such-qgis": no such program/);
      expect(existsSync(failed.file)).toBe(true);
    } finally {
      setQgis('');
    }
  });

  it('refuses what is not a tile UDF, an unknown UDF and bad parameters, leaving no token behind', async () => {
    const before = server.services.tokens.list().length;
    const refused: Array<[string, unknown, number, string]> = [
      ['Table', {}, 400, 'Table is not a tile UDF'],
      ['Nope', {}, 404, 'UDF_ERR_NOT_FOUND'],
      ['Squares', { params: { n: 'many' } }, 400, 'UDF_ERR_PARAM'],
      ['Squares', { params: { colour: 'red' } }, 400, 'UDF_ERR_UNKNOWN_PARAM'],
      ['Squares', { params: { n: 3 } }, 400, 'parameter \\"n\\" must be given as a string'],
      ['Squares', { params: ['n'] }, 400, '\\"params\\" must be an object'],
      ['Squares', { params: { format: 'png' } }, 400, 'format cannot be a parameter of a tile URL'],
      ['Squares', { colorBy: 7 }, 400, '\\"colorBy\\" must be a column name'],
      ['Squares', { layer: 'x' }, 400, 'unknown field layer'],
      ['Broken', {}, 422, 'Broken failed at tile 2/2/1 (the default view): no data here'],
    ];
    for (const [udf, body, status, message] of refused) {
      const answer = await post(udf, body);
      expect(answer.status, `${udf} ${JSON.stringify(body)}: ${answer.text}`).toBe(status);
      expect(answer.text).toContain(message);
    }
    expect((await post('Squares', {}, {})).status).toBe(401);
    expect(server.services.tokens.list()).toHaveLength(before);
  });
});
