import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { tileToBounds } from '../../../src-shared/tiles.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';
import { bearer, request, serverForFile, startTestServer, type HttpResult } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
let token: string;
let base: string;

const UDFS: Record<string, string> = {
  Echo: '@fused.udf\ndef udf(word: str = "hi", n: int = 1):\n    print("echo", word)\n    return {"word": word, "n": n}\n',
  Tile_Bounds: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import pandas as pd\n    w, s, e, n = bounds\n    return pd.DataFrame({"west": [w], "south": [s], "east": [e], "north": [n]})\n',
  Nothing: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    return None\n',
  No_Rows: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import geopandas as gpd\n    return gpd.GeoDataFrame({"a": []}, geometry=[], crs="EPSG:4326")\n',
  Boom: '@fused.udf\ndef udf():\n    raise ValueError("no data here")\n',
  Gradient: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import numpy as np\n    return np.tile(np.arange(256, dtype="uint8"), (256, 1))\n',
  Big_Text: '@fused.udf\ndef udf():\n    return {"rows": ["x" * 50 for _ in range(200)]}\n',
};

serverForFile((started) => ({ home, server, url: base } = started), {
  prepare: (home) => {
    for (const [name, code] of Object.entries(UDFS)) {
      const udfType = name === 'Gradient' ? 'raster' : name === 'Tile_Bounds' ? 'vector_tile' : 'auto';
      home.write({
        [`ws/${name}/meta.json`]: metaJson(name, { metadata: { 'fused:udfType': udfType, 'fused:defaultViewState': { latitude: 48.85, longitude: 2.29, zoom: 12 } } }),
        [`ws/${name}/${name}.py`]: code,
      });
    }
  },
});

beforeAll(async () => {
  const created = await request(base, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: 'Echo' }) });
  expect(created.status).toBe(201);
  token = (created.json() as { token: string }).token;
}, 120_000);

async function tokenFor(udf: string): Promise<string> {
  const created = await request(base, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: udf }) });
  return (created.json() as { token: string }).token;
}

function metadataOf(result: HttpResult): Record<string, unknown> {
  return JSON.parse(String(result.headers['x-fused-metadata'])) as Record<string, unknown>;
}

describe('server basics', () => {
  it('answers /healthz and records itself in engine.json with mode-0600 credentials', async () => {
    const health = await request(base, '/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', workers: 2 });
    const info = JSON.parse(readFileSync(join(home.root, 'engine.json'), 'utf8')) as { url: string; pid: number };
    expect(info).toMatchObject({ url: base, pid: process.pid });
    expect(statSync(join(home.root, 'credentials')).mode & 0o777).toBe(0o600);
  });
});

describe('shared token runs', () => {
  it('runs by every URL form, converting query parameters, with x-fused-metadata', async () => {
    for (const path of [`/server/v1/realtime-shared/${token}/run/file`, `/${token}/run/file`, `/${token}/run`]) {
      const result = await request(base, `${path}?word=ahoy&n=3&format=json`);
      expect(result.status, path).toBe(200);
      expect(result.headers['content-type']).toBe('application/json');
      expect(result.json()).toEqual({ word: 'ahoy', n: 3 });
      expect(metadataOf(result)).toMatchObject({ stdout: 'echo ahoy\n', has_exception: false, errormsg: null });
      expect(result.headers['access-control-allow-origin']).toBe('*');
    }
    const byExtension = await request(base, `/${token}.json?word=x`);
    expect(byExtension.json()).toEqual({ word: 'x', n: 1 });
  });

  it('serves tiles with the tile as the first parameter, by path extension or query', async () => {
    const tileToken = await tokenFor('Tile_Bounds');
    const result = await request(base, `/server/v1/realtime-shared/${tileToken}/run/tiles/12/2074/1409?format=json`);
    expect(result.status).toBe(200);
    const [row] = result.json() as Array<{ west: number; south: number; east: number; north: number }>;
    const [w, s, e, n] = tileToBounds({ x: 2074, y: 1409, z: 12 });
    expect(row?.west).toBeCloseTo(w, 9);
    expect(row?.south).toBeCloseTo(s, 9);
    expect(row?.east).toBeCloseTo(e, 9);
    expect(row?.north).toBeCloseTo(n, 9);
    const csv = await request(base, `/${tileToken}/run/tiles/12/2074/1409.csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.split(/\r?\n/)[0]).toBe('west,south,east,north');
  });

  it.each([['Nothing', 'png'], ['No_Rows', 'mvt']])('answers an empty tile from %s with 204', async (udf, extension) => {
    const emptyToken = await tokenFor(udf);
    const result = await request(base, `/${emptyToken}/run/tiles/3/1/1.${extension}`);
    expect(result.status).toBe(204);
    expect(result.body.length).toBe(0);
    expect(metadataOf(result).has_exception).toBe(false);
  });

  it('serves raster tiles as PNG by default', async () => {
    const rasterToken = await tokenFor('Gradient');
    const result = await request(base, `/${rasterToken}/run/tiles/3/1/1`);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('image/png');
    expect([...result.body.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });

  it('reports a UDF error as 422 with the line in the header and the body', async () => {
    const boomToken = await tokenFor('Boom');
    const result = await request(base, `/${boomToken}/run/file`);
    expect(result.status).toBe(422);
    expect(metadataOf(result)).toMatchObject({ has_exception: true, exception_class: 'ValueError', errormsg: 'no data here', lineno: 3, error_type: 'UDF_ERR_RUNTIME' });
    expect(result.json()).toMatchObject({ error: { code: 'UDF_ERR_RUNTIME', message: 'no data here', line: 3, status: 422 } });
  });

  it('gzips compressible results for clients that accept it', async () => {
    const bigToken = await tokenFor('Big_Text');
    const result = await request(base, `/${bigToken}/run/file`, { headers: { 'accept-encoding': 'gzip' } });
    expect(result.headers['content-encoding']).toBe('gzip');
    expect((JSON.parse(gunzipSync(result.body).toString('utf8')) as { rows: string[] }).rows).toHaveLength(200);
  });

  it('describes tile URLs with TileJSON', async () => {
    const tileToken = await tokenFor('Tile_Bounds');
    const vector = await request(base, `/server/v1/realtime-shared/${tileToken}/run/tiles/tilejson.json?cells=3`);
    expect(vector.json()).toMatchObject({
      tilejson: '3.0.0', name: 'Tile_Bounds', format: 'pbf', minzoom: 0, maxzoom: 22, center: [2.29, 48.85, 12],
      tiles: [`${base.replace('127.0.0.1', '127.0.0.1')}/server/v1/realtime-shared/${tileToken}/run/tiles/{z}/{x}/{y}.mvt?cells=3`],
      vector_layers: [{ id: 'udf' }],
    });
    const rasterToken = await tokenFor('Gradient');
    const raster = await request(base, `/${rasterToken}/run/tiles/tilejson.json`);
    expect(raster.json()).toMatchObject({ format: 'png', tiles: [`${base}/${rasterToken}/run/tiles/{z}/{x}/{y}.png`] });
  });

  it('answers CORS preflight on token URLs only', async () => {
    const preflight = await request(base, `/${token}/run/file`, { method: 'OPTIONS', headers: { origin: 'https://maps.example', 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '600' });
    // The methods matter only to a preflight; a run's answer says who may read it and which headers.
    const run = await request(base, `/${token}/run/file`, { headers: { origin: 'https://maps.example' } });
    expect(run.headers['access-control-allow-origin']).toBe('*');
    expect(run.headers['access-control-expose-headers']).toContain('x-fused-metadata');
    expect(run.headers['access-control-allow-methods']).toBeUndefined();
    const privatePreflight = await request(base, '/server/v1/udf-access-token/self', { method: 'OPTIONS' });
    expect(privatePreflight.headers['access-control-allow-origin']).toBeUndefined();
    const privateRun = await request(base, '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo', { headers: bearer(server) });
    expect(privateRun.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('private and code runs', () => {
  it('runs a saved UDF with the private token', async () => {
    const result = await request(base, '/server/v1/realtime/anyclient/api/v1/run/udf/saved/me@example.com/Echo?word=private&format=json', { headers: bearer(server) });
    expect(result.status).toBe(200);
    expect(result.json()).toEqual({ word: 'private', n: 1 });
    const tile = await request(base, '/server/v1/realtime/c/api/v1/run/udf/saved/me/Tile_Bounds/tiles/0/0/0?format=json', { headers: bearer(server) });
    expect((tile.json() as Array<{ west: number }>)[0]?.west).toBe(-180);
  });

  it('runs code from a step_config body, with header modules', async () => {
    const stepConfig = {
      type: 'udf',
      udf: {
        type: 'geopandas_v2', name: 'Posted', entrypoint: 'udf', parameters: { a: 2 }, metadata: {},
        code: '@fused.udf\ndef udf(a: int = 0, b: int = 0):\n    from helpers import twice\n    return {"total": twice(a) + b}\n',
        headers: [{ module_name: 'helpers', source_code: 'def twice(v):\n    return 2 * v\n' }],
      },
    };
    const result = await request(base, '/server/v1/realtime/c/api/v1/run/udf?b=1', {
      method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' },
      body: JSON.stringify({ step_config: JSON.stringify(stepConfig), format: 'json', cache: true }),
    });
    expect(result.status).toBe(200);
    expect(result.json()).toEqual({ total: 5 });
  });
});

describe('under load', () => {
  it('answers 200 concurrent tile requests, each with its own tile', async () => {
    const tileToken = await tokenFor('Tile_Bounds');
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const tiles = Array.from({ length: 200 }, (_, i) => ({ z: 10, x: 500 + (i % 20), y: 300 + Math.floor(i / 20) }));
    const results = await Promise.all(tiles.map((t) => request(base, `/${tileToken}/run/tiles/${t.z}/${t.x}/${t.y}.json`, { agent })));
    agent.destroy();
    results.forEach((result, i) => {
      expect(result.status).toBe(200);
      const [row] = result.json() as Array<{ west: number; north: number }>;
      const [west, , , north] = tileToBounds(tiles[i]!);
      expect(row?.west).toBeCloseTo(west, 9);
      expect(row?.north).toBeCloseTo(north, 9);
    });
  });
});

describe('bad input', () => {
  const cases: Array<[label: string, path: () => string, init: () => { method?: string; headers?: Record<string, string>; body?: string }, status: number, code: string]> = [
    ['non-numeric z', () => `/${token}/run/tiles/a/0/0`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['non-numeric x', () => `/${token}/run/tiles/1/x/0`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['negative y', () => `/${token}/run/tiles/1/0/-1`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['x out of range', () => `/${token}/run/tiles/1/2/0`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['y out of range', () => `/${token}/run/tiles/0/0/1`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['zoom too deep', () => `/${token}/run/tiles/31/0/0`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['huge coordinate', () => `/${token}/run/tiles/3/99999999999999/0`, () => ({}), 400, 'UDF_ERR_BAD_TILE'],
    ['partial tile path', () => `/${token}/run/tiles/1/0`, () => ({}), 404, 'UDF_ERR_ROUTE'],
    ['unknown tile extension', () => `/${token}/run/tiles/1/0/0.docx`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['unknown format', () => `/${token}/run/file?format=docx`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['format that does not fit', () => `/${token}/run/file?format=png`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['unknown dtype_out_vector', () => `/${token}/run/file?dtype_out_vector=shp`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['empty format list', () => `/${token}/run/file?format=,`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['/{token}.{ext} with an unknown ext', () => `/${token}.docx`, () => ({}), 406, 'UDF_ERR_FORMAT'],
    ['bad int parameter', () => `/${token}/run/file?n=many`, () => ({}), 400, 'UDF_ERR_PARAM'],
    ['unknown parameter', () => `/${token}/run/file?colour=red`, () => ({}), 400, 'UDF_ERR_UNKNOWN_PARAM'],
    ['parameter name not an identifier', () => `/${token}/run/file?1a=2`, () => ({}), 400, 'UDF_ERR_UNKNOWN_PARAM'],
    ['parameter given twice', () => `/${token}/run/file?n=1&n=2`, () => ({}), 400, 'UDF_ERR_PARAM'],
    ['bad cache_max_age', () => `/${token}/run/file?cache_max_age=soon`, () => ({}), 400, 'UDF_ERR_PARAM'],
    ['unknown token', () => `/fsh_${'A'.repeat(32)}/run/file`, () => ({}), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['malformed token', () => '/fsh_short/run/file', () => ({}), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['not a token at all', () => '/hello/run/file', () => ({}), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['traversal in a token', () => '/..%2F..%2Fetc%2Fpasswd/run/file', () => ({}), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['traversal in a saved name', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/..%2F..%2Fws', () => ({ headers: bearer(server) }), 404, 'UDF_ERR_NOT_FOUND'],
    ['traversal with dots (normalised away)', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/..', () => ({ headers: bearer(server) }), 404, 'UDF_ERR_ROUTE'],
    ['bad percent-encoding', () => '/%E0%A4%A/run/file', () => ({}), 400, 'UDF_ERR_BAD_REQUEST'],
    ['private run without a token', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo', () => ({}), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['private run with a wrong token', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo', () => ({ headers: { authorization: `Bearer ${'0'.repeat(64)}` } }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['private run with Basic auth', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo', () => ({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['private run with a shared token', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo', () => ({ headers: { authorization: `Bearer ${token}` } }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['private run of an unknown UDF', () => '/server/v1/realtime/c/api/v1/run/udf/saved/me/Nope', () => ({ headers: bearer(server) }), 404, 'UDF_ERR_NOT_FOUND'],
    ['token list without auth', () => '/server/v1/udf-access-token/self', () => ({}), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['token create without a UDF', () => '/server/v1/udf-access-token/new', () => ({ method: 'POST', headers: bearer(server), body: '{}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['token create for an unknown UDF', () => '/server/v1/udf-access-token/new', () => ({ method: 'POST', headers: bearer(server), body: '{"udf_slug": "Nope"}' }), 404, 'UDF_ERR_NOT_FOUND'],
    ['token create with broken JSON', () => '/server/v1/udf-access-token/new', () => ({ method: 'POST', headers: bearer(server), body: '{"udf_slug": ' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['token create with a JSON array', () => '/server/v1/udf-access-token/new', () => ({ method: 'POST', headers: bearer(server), body: '[1]' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['token update with a non-boolean', () => `/server/v1/udf-access-token/by-token/${token}`, () => ({ method: 'POST', headers: bearer(server), body: '{"enabled": "yes"}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['token update with bad metadata_json', () => `/server/v1/udf-access-token/by-token/${token}`, () => ({ method: 'POST', headers: bearer(server), body: '{"metadata_json": "[1"}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['read of an unknown token', () => `/server/v1/udf-access-token/by-token/fsh_${'B'.repeat(32)}`, () => ({ headers: bearer(server) }), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['delete of an unknown token', () => `/server/v1/udf-access-token/by-token/fsh_${'B'.repeat(32)}`, () => ({ method: 'DELETE', headers: bearer(server) }), 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['code run without step_config', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', headers: bearer(server), body: '{}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['code run with step_config not JSON', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', headers: bearer(server), body: '{"step_config": "{oops"}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['code run with no code', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', headers: bearer(server), body: JSON.stringify({ step_config: { type: 'udf', udf: { code: 5 } } }) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['code run with a bad header', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', headers: bearer(server), body: JSON.stringify({ step_config: { type: 'udf', udf: { code: 'x=1', headers: [{ module_name: '../x', source_code: '' }] } } }) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['code run with a syntax error', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', headers: bearer(server), body: JSON.stringify({ step_config: { type: 'udf', udf: { code: '@fused.udf\ndef udf(:\n  pass' } } }) }), 422, 'UDF_ERR_SYNTAX'],
    ['code run without auth', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ method: 'POST', body: '{}' }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['huge query string', () => `/${token}/run/file?word=${'x'.repeat(10_000)}`, () => ({}), 414, 'UDF_ERR_URI_TOO_LONG'],
    ['wrong method on /healthz', () => '/healthz', () => ({ method: 'DELETE' }), 405, 'UDF_ERR_METHOD'],
    ['POST to a shared run', () => `/${token}/run/file`, () => ({ method: 'POST', body: '{}' }), 405, 'UDF_ERR_METHOD'],
    ['GET of the code-run route', () => '/server/v1/realtime/c/api/v1/run/udf', () => ({ headers: bearer(server) }), 405, 'UDF_ERR_METHOD'],
    ['non-loopback Host', () => '/healthz', () => ({ headers: { host: 'evil.example' } }), 403, 'UDF_ERR_HOST'],
    ['rebinding Host with a port', () => `/${token}/run/file`, () => ({ headers: { host: 'evil.example:8765' } }), 403, 'UDF_ERR_HOST'],
    ['unknown route', () => '/a/b/c/d/e/f/g', () => ({}), 404, 'UDF_ERR_ROUTE'],
    ['TileJSON for a non-tile format', () => `/${token}/run/tiles/tilejson.json?format=csv`, () => ({}), 406, 'UDF_ERR_FORMAT'],
  ];

  it.each(cases)('%s gets its documented 4xx', async (_label, path, init, status, code) => {
    const result = await request(base, path(), init());
    expect(result.status).toBe(status);
    expect(result.headers['content-type']).toBe('application/json');
    const body = result.json() as { error: { code: string; message: string; status: number }; detail: string; message: string };
    expect(body.error.code).toBe(code);
    expect(body.error.status).toBe(status);
    expect(body.error.message.length).toBeGreaterThan(5);
    // The official client reads `detail` (and `message`) for its exceptions' text.
    expect(body.detail).toBe(body.error.message);
    expect(body.message).toBe(body.error.message);
  });

  it('refuses a body over the limit with 413', async () => {
    const result = await request(base, '/server/v1/realtime/c/api/v1/run/udf', { method: 'POST', headers: bearer(server), body: 'x'.repeat(6 * 1024 * 1024) });
    expect(result.status).toBe(413);
  });

  it('is still healthy after all of it', async () => {
    expect((await request(base, '/healthz')).status).toBe(200);
    expect((await request(base, `/${token}/run/file?format=json`)).json()).toEqual({ word: 'hi', n: 1 });
  });
});

describe('shutdown', () => {
  it('removes engine.json on close', async () => {
    const other = makeTestHome();
    try {
      const second = await startTestServer(other, [join(home.root, 'ws')], 1);
      expect(existsSync(join(other.root, 'engine.json'))).toBe(true);
      await second.close();
      expect(existsSync(join(other.root, 'engine.json'))).toBe(false);
    } finally {
      other.remove();
    }
  });
});
