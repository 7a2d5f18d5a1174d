import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveSource, ExportPlan, ExportState } from '../../../src-shared/exports.js';
import type { JobDetail, JobSummary } from '../../../src-shared/jobs.js';
import { tileToBounds, type Bounds } from '../../../src-shared/tiles.js';
import { stagingFolder } from '../../../src-main/engine/export/export-staging.js';
import { tilesOf } from '../../../src-main/engine/export/tile-range.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { startEngineServer } from '../../../src-main/engine/server/engine-server.js';
import { runCli } from '../../helpers/cli.js';
import { readArchive, readerPython } from '../../helpers/reader-venv.js';
import { bearer, request, type HttpResult } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

const execFileAsync = promisify(execFile);

type Detail = JobDetail & { version: number };

/** Central Paris: a few tiles a zoom. */
const PARIS: Bounds = [2.25, 48.83, 2.4, 48.9];

const UDFS: Record<string, { type: string; code: string }> = {
  Vector_Tiles: {
    type: 'vector_tile',
    code: [
      '@fused.udf',
      'def udf(bounds: fused.types.Bounds = None, cells: int = 2):',
      '    import geopandas as gpd',
      '    from shapely.geometry import box',
      '    xmin, ymin, xmax, ymax = bounds',
      '    # Tiles west of 2.3 degrees are empty: archives leave them out.',
      '    if (xmin + xmax) / 2 < 2.3:',
      '        return None',
      '    dx, dy = (xmax - xmin) / cells, (ymax - ymin) / cells',
      '    cells_ = [box(xmin + i * dx, ymin + j * dy, xmin + (i + 1) * dx, ymin + (j + 1) * dy) for i in range(cells) for j in range(cells)]',
      '    return gpd.GeoDataFrame({"value": [float(k) for k in range(len(cells_))], "name": ["c"] * len(cells_)}, geometry=cells_, crs="EPSG:4326")',
      '',
    ].join('\n'),
  },
  Raster_Tiles: { type: 'raster', code: readFileSync(new URL('../../../resources/udfs/Raster_Gradient/Raster_Gradient.py', import.meta.url), 'utf8') },
  Plain_Table: { type: 'auto', code: '@fused.udf\ndef udf(n: int = 1):\n    import pandas as pd\n    return pd.DataFrame({"n": [n]})\n' },
  Gate: {
    type: 'vector_tile',
    code: [
      '@fused.udf',
      'def udf(bounds: fused.types.Bounds = None, gate: str = "", wait_below: float = 90.0):',
      '    import os, time',
      '    import geopandas as gpd',
      '    from shapely.geometry import box',
      '    xmin, ymin, xmax, ymax = bounds',
      '    # Tiles whose north edge is below wait_below wait for the gate file.',
      '    while ymax < wait_below and not os.path.exists(gate):',
      '        time.sleep(0.05)',
      '    return gpd.GeoDataFrame({"v": [1]}, geometry=[box(xmin, ymin, xmax, ymax)], crs="EPSG:4326")',
      '',
    ].join('\n'),
  },
  Flaky_Tiles: {
    type: 'vector_tile',
    code: [
      '@fused.udf',
      'def udf(bounds: fused.types.Bounds = None, flag: str = "", fail_west_of: float = -180.0):',
      '    import os',
      '    import geopandas as gpd',
      '    from shapely.geometry import box',
      '    xmin, ymin, xmax, ymax = bounds',
      '    if os.path.exists(flag) and (xmin + xmax) / 2 < fail_west_of:',
      '        raise RuntimeError("this tile fails while the flag file exists")',
      '    return gpd.GeoDataFrame({"v": [1]}, geometry=[box(xmin, ymin, xmax, ymax)], crs="EPSG:4326")',
      '',
    ].join('\n'),
  },
};

let home: TestHome;
let server: EngineServer;
let workspace: string;
let outDir: string;

beforeAll(async () => {
  home = makeTestHome();
  for (const [name, { type, code }] of Object.entries(UDFS)) {
    home.write({ [`ws/${name}/meta.json`]: metaJson(name, { metadata: { 'fused:name': name, 'fused:udfType': type } }), [`ws/${name}/${name}.py`]: code });
  }
  workspace = join(home.root, 'ws');
  outDir = join(home.root, 'out');
  mkdirSync(outDir);
  server = await startEngineServer({ env: home.env, workspaces: [workspace], port: 0, poolSize: 2, preload: [] });
  await readerPython(); // made once, before the tests that read archives
}, 300_000);

afterAll(async () => {
  await server?.close();
  home?.remove();
});

function post(path: string, body: unknown): Promise<HttpResult> {
  return request(server.url, path, { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function job(id: string, since?: number): Promise<Detail> {
  const query = since === undefined ? '' : `?since=${since}&wait=5000`;
  return (await request(server.url, `/api/jobs/${id}${query}`, { headers: bearer(server) })).json() as Detail;
}

async function waitForEnd(id: string): Promise<Detail> {
  let detail = await job(id);
  while (detail.status === 'running') detail = await job(id, detail.version);
  return detail;
}

async function exportAndWait(body: Record<string, unknown>): Promise<Detail> {
  const started = await post('/api/exports', body);
  expect(started.status, started.text).toBe(201);
  return waitForEnd((started.json() as JobSummary).id);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every tile of the area from the live tile URL: `z/x/y` → SHA-256 of its bytes, null for an empty (204) tile. */
async function liveTiles(udf: string, bbox: Bounds, minZoom: number, maxZoom: number, extension: string): Promise<Map<string, string | null>> {
  const tiles = new Map<string, string | null>();
  for (const { z, x, y } of tilesOf({ bbox, minZoom, maxZoom })) {
    const answer = await request(server.url, `/api/udfs/${udf}/tiles/${z}/${x}/${y}.${extension}`, { headers: bearer(server) });
    expect([200, 204], answer.text).toContain(answer.status);
    tiles.set(`${z}/${x}/${y}`, answer.status === 204 ? null : sha256(answer.body));
  }
  return tiles;
}

function expectSameTiles(archive: Record<string, string>, live: Map<string, string | null>): void {
  const served = new Map([...live].filter((entry): entry is [string, string] => entry[1] !== null));
  expect(served.size).toBeGreaterThan(0);
  expect(Object.keys(archive).sort()).toEqual([...served.keys()].sort());
  for (const [key, hash] of served) expect(archive[key], key).toBe(hash);
}

describe('export: archives hold exactly the tiles the live URL serves', () => {
  it('a vector tile UDF to PMTiles (read back by the pmtiles package) and MBTiles (sqlite3, GDAL), empty tiles left out', async () => {
    const area = { udf: 'Vector_Tiles', bbox: PARIS, minZoom: 11, maxZoom: 13 };
    const plan = (await post('/api/exports/plan', { ...area, out: join(outDir, 'vector.pmtiles') })).json() as ExportPlan;
    expect(plan).toMatchObject({ tiles: 2 + 6 + 16, tileFormat: 'mvt', format: 'pmtiles', needsForce: false, kept: 0 });
    expect(plan.perZoom).toEqual([{ z: 11, tiles: 2 }, { z: 12, tiles: 6 }, { z: 13, tiles: 16 }]);
    expect(plan.estimate.seconds).not.toBeNull();

    const pm = await exportAndWait({ ...area, out: join(outDir, 'vector.pmtiles') });
    expect(pm.status).toBe('succeeded');
    expect(pm.export?.state).toBe('written');
    const live = await liveTiles('Vector_Tiles', PARIS, 11, 13, 'mvt');
    expect([...live.values()].filter((hash) => hash === null).length).toBeGreaterThan(0);
    const pmtiles = await readArchive(join(outDir, 'vector.pmtiles'));
    expectSameTiles(pmtiles.tiles, live);
    expect(pmtiles.header).toMatchObject({ tile_type: 1, tile_compression: 2, min_zoom: 11, max_zoom: 13, clustered: true });
    expect(pmtiles.metadata).toMatchObject({ bounds: PARIS, minzoom: 11, maxzoom: 13, vector_layers: [{ id: 'udf', fields: { value: 'Number', name: 'String' } }] });
    expect(pm.export?.archive).toMatchObject({ tiles: Object.keys(pmtiles.tiles).length, empty: [...live.values()].filter((hash) => hash === null).length });

    // An ended export's tiles are in its archive, not kept with the job.
    const kept = await request(server.url, `/api/jobs/${pm.id}/runs/0/result`, { headers: bearer(server) });
    expect(kept.status).toBe(404);
    expect((kept.json() as { error: { code: string; message: string } }).error.message).toMatch(/is in its archive, not kept with the job/);

    const mb = await exportAndWait({ ...area, out: join(outDir, 'vector.mbtiles') });
    expect(mb.export?.state).toBe('written');
    const mbtiles = await readArchive(join(outDir, 'vector.mbtiles'));
    expectSameTiles(mbtiles.tiles, live);
    expect(mbtiles.metadata).toMatchObject({ format: 'pbf', minzoom: '11', maxzoom: '13', bounds: PARIS.join(',') });
    expect(JSON.parse(String(mbtiles.metadata.json))).toMatchObject({ vector_layers: [{ id: 'udf' }] });
    // GDAL's MBTiles driver opens it as vector tiles with the layer.
    const { stdout } = await execFileAsync('ogrinfo', ['-ro', '-so', join(outDir, 'vector.mbtiles')]);
    expect(stdout).toContain('using driver `MBTiles\' successful');
    expect(stdout).toMatch(/^1: udf/m);
  }, 300_000);

  it('a raster tile UDF to PMTiles and MBTiles as PNG, equal tiles stored once', async () => {
    const area = { udf: 'Raster_Tiles', bbox: PARIS, minZoom: 10, maxZoom: 12 };
    const pm = await exportAndWait({ ...area, out: join(outDir, 'raster.pmtiles') });
    expect(pm.export).toMatchObject({ state: 'written', tileFormat: 'png' });
    const live = await liveTiles('Raster_Tiles', PARIS, 10, 12, 'png');
    const pmtiles = await readArchive(join(outDir, 'raster.pmtiles'));
    expectSameTiles(pmtiles.tiles, live);
    expect(pmtiles.header).toMatchObject({ tile_type: 2, tile_compression: 1, addressed_tiles_count: 9 });
    expect(pmtiles.header?.tile_contents_count).toBe(new Set(Object.values(pmtiles.tiles)).size);

    await exportAndWait({ ...area, out: join(outDir, 'raster.mbtiles') });
    expectSameTiles((await readArchive(join(outDir, 'raster.mbtiles'))).tiles, live);
    const info = JSON.parse((await execFileAsync('gdalinfo', ['-json', join(outDir, 'raster.mbtiles')])).stdout) as { driverShortName: string; metadata: Record<string, Record<string, string>> };
    expect(info.driverShortName).toBe('MBTiles');
    expect(info.metadata['']).toMatchObject({ ZOOM_LEVEL: '12', minzoom: '10', maxzoom: '12', format: 'png' });
  }, 300_000);

  it('serves a workspace archive as a tile source: listing, TileJSON and the same tiles as the live URL', async () => {
    // A relative path lands in the first workspace folder.
    mkdirSync(join(workspace, 'archives'));
    const done = await exportAndWait({ udf: 'Vector_Tiles', bbox: PARIS, minZoom: 12, maxZoom: 12, out: 'archives/paris.pmtiles' });
    expect(done.export?.out).toBe(join(workspace, 'archives', 'paris.pmtiles'));
    const listing = (await request(server.url, '/api/archives', { headers: bearer(server) })).json() as { archives: ArchiveSource[] };
    expect(listing.archives).toContainEqual(expect.objectContaining({ name: 'archives/paris.pmtiles', format: 'pmtiles', tileFormat: 'mvt', minZoom: 12, maxZoom: 12, layers: ['udf'] }));
    const name = encodeURIComponent('archives/paris.pmtiles');
    const tileJson = (await request(server.url, `/api/archives/${name}/tilejson.json`, { headers: bearer(server) })).json() as Record<string, unknown>;
    expect(tileJson).toMatchObject({ tilejson: '3.0.0', format: 'pbf', minzoom: 12, maxzoom: 12, vector_layers: [{ id: 'udf' }] });
    expect(tileJson.tiles).toEqual([`${server.url}/api/archives/${name}/tiles/{z}/{x}/{y}.mvt`]);
    const live = await liveTiles('Vector_Tiles', PARIS, 12, 12, 'mvt');
    for (const [key, hash] of live) {
      const served = await request(server.url, `/api/archives/${name}/tiles/${key}.mvt`, { headers: bearer(server) });
      if (hash === null) expect(served.status).toBe(204);
      else expect(sha256(served.body), key).toBe(hash);
    }
    // The window draws it from GeoJSON: the live tile's features, in degrees, quantised to the tile's 4096 steps.
    const full = [...live].find(([, hash]) => hash)?.[0] as string;
    const asGeoJson = (await request(server.url, `/api/archives/${name}/tiles/${full}?format=geojson`, { headers: bearer(server) })).json() as GeoJSON.FeatureCollection;
    const liveGeoJson = (await request(server.url, `/api/udfs/Vector_Tiles/tiles/${full}?format=geojson`, { headers: bearer(server) })).json() as GeoJSON.FeatureCollection;
    expect(asGeoJson.features.map((feature) => feature.properties)).toEqual(liveGeoJson.features.map((feature) => ({ layer: 'udf', ...feature.properties })));
    const box = (collection: GeoJSON.FeatureCollection, i: number): number[] => {
      const points = (collection.features[i]?.geometry as GeoJSON.Polygon).coordinates[0] ?? [];
      const lons = points.map((point) => point[0] as number);
      const lats = points.map((point) => point[1] as number);
      return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    };
    const step = 360 / 2 ** Number(full.split('/')[0]) / 4096;
    expect(asGeoJson.features.every((feature) => feature.geometry.type === 'Polygon')).toBe(true);
    for (let i = 0; i < liveGeoJson.features.length; i += 1) {
      const want = box(liveGeoJson, i);
      box(asGeoJson, i).forEach((value, j) => expect(Math.abs(value - (want[j] as number))).toBeLessThan(step));
    }
    const gzipped = await request(server.url, `/api/archives/${name}/tiles/${full}`, { headers: { ...bearer(server), 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect((await request(server.url, `/api/archives/${name}/tiles/3/1/1`, { headers: bearer(server) })).status).toBe(204);
    expect((await request(server.url, '/api/archives/nothing.pmtiles/tilejson.json', { headers: bearer(server) })).status).toBe(404);
    expect((await request(server.url, '/api/archives')).status).toBe(401);
  }, 300_000);
});

describe('export: bad input is a clear error and leaves nothing behind', () => {
  const base = { udf: 'Vector_Tiles', bbox: PARIS, minZoom: 10, maxZoom: 11, out: '' };

  it.each([
    ['an inverted bbox', { bbox: [2.4, 48.83, 2.25, 48.9] }, 400, 'UDF_ERR_EXPORT_AREA', /west \(2\.4\) must be less than east/],
    ['a latitude beyond Web Mercator', { bbox: [2.25, 48.83, 2.4, 86] }, 400, 'UDF_ERR_EXPORT_AREA', /beyond ±85\.0511/],
    ['a zoom above 24', { maxZoom: 25 }, 400, 'UDF_ERR_EXPORT_AREA', /from 0 to 24, got 25/],
    ['a negative zoom', { minZoom: -1 }, 400, 'UDF_ERR_EXPORT_AREA', /from 0 to 24, got -1/],
    ['zooms the wrong way round', { minZoom: 12, maxZoom: 10 }, 400, 'UDF_ERR_EXPORT_AREA', /minimum zoom \(12\) is above the maximum \(10\)/],
    ['a folder that does not exist', { out: '/nonexistent/folder/a.pmtiles' }, 422, 'UDF_ERR_EXPORT_TARGET', /does not exist/],
    ['a file where the folder should be', { out: 'FILE/a.pmtiles' }, 422, 'UDF_ERR_EXPORT_TARGET', /is not a folder/],
    ['an archive name without .pmtiles or .mbtiles', { out: 'area.zip' }, 422, 'UDF_ERR_EXPORT_TARGET', /must end in \.pmtiles or \.mbtiles/],
    ['a UDF that is not a tile UDF', { udf: 'Plain_Table' }, 422, 'UDF_ERR_EXPORT_NOT_TILE', /Plain_Table is not a tile UDF/],
    ['a UDF that does not exist', { udf: 'No_Such_Udf' }, 404, 'UDF_ERR_NOT_FOUND', /No_Such_Udf/],
    ['an unknown tile format', { tileFormat: 'tiff' }, 400, 'UDF_ERR_BAD_REQUEST', /"tileFormat" must be one of/],
  ])('%s', async (_name, change, status, code, message) => {
    const folder = join(home.root, `bad-${Math.random().toString(36).slice(2)}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'FILE'), 'a file, not a folder');
    const out = (change as { out?: string }).out;
    const body = { ...base, ...change, out: out === undefined ? join(folder, 'area.pmtiles') : out.startsWith('/') ? out : join(folder, out) };
    for (const path of ['/api/exports/plan', '/api/exports']) {
      const answer = await post(path, body);
      expect(answer.status, answer.text).toBe(status);
      const error = (answer.json() as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    }
    expect(readdirSync(folder)).toEqual(['FILE']);
  }, 120_000);

  it('an area over the limit needs force: its plan says so and it does not start without it', async () => {
    const out = join(outDir, 'world.pmtiles');
    const body = { udf: 'Vector_Tiles', bbox: [-180, -85, 180, 85], minZoom: 0, maxZoom: 8, out };
    const plan = (await post('/api/exports/plan', body)).json() as ExportPlan;
    expect(plan).toMatchObject({ needsForce: true, limit: 10_000 });
    expect(plan.tiles).toBeGreaterThan(10_000);
    const refused = await post('/api/exports', body);
    expect(refused.status).toBe(409);
    expect((refused.json() as { error: { code: string; message: string } }).error).toMatchObject({ code: 'UDF_ERR_EXPORT_TOO_LARGE', message: expect.stringMatching(/--force/) as unknown });
    expect(existsSync(out)).toBe(false);
    // A plan only looks: no staging is made for it.
    expect(existsSync(stagingFolder(join(home.root, 'exports'), out))).toBe(false);
  }, 120_000);

  it('an archive that cannot be renamed into place leaves no partial file behind (nor one a killed engine left)', async () => {
    const folder = join(home.root, 'rename-fails');
    mkdirSync(folder);
    writeFileSync(join(folder, '.area.pmtiles.0123456789ab.part'), 'what an engine killed while writing left');
    const out = join(folder, 'area.pmtiles');
    const { bbox, waitBelow } = twoRows();
    const gate = join(folder, 'gate');
    const started = await post('/api/exports', { udf: 'Gate', bbox, minZoom: 14, maxZoom: 14, out, params: { gate, wait_below: String(waitBelow) } });
    expect(started.status, started.text).toBe(201);
    // While the tiles wait, a folder takes the archive's name: the rename at the end fails.
    mkdirSync(join(out, 'taken'), { recursive: true });
    writeFileSync(gate, '');
    const done = await waitForEnd((started.json() as JobSummary).id);
    expect(done.status).toBe('failed');
    expect(done.export).toMatchObject({ state: 'failed', error: { code: 'UDF_ERR_EXPORT_TARGET' } });
    expect(readdirSync(folder).sort()).toEqual(['area.pmtiles', 'gate']);
    expect(readdirSync(out)).toEqual(['taken']);
  }, 120_000);
});

/** Six tiles at zoom 14 in two rows, and a latitude between the rows: the northern row's tiles pass the Gate at once. */
function twoRows(): { bbox: Bounds; waitBelow: number } {
  const [west, , , north] = tileToBounds({ z: 14, x: 8296, y: 5635 });
  const [, south, east] = tileToBounds({ z: 14, x: 8298, y: 5636 });
  const [, topRowSouth] = tileToBounds({ z: 14, x: 8296, y: 5635 });
  const inset = 1e-7;
  return { bbox: [west + inset, south + inset, east - inset, north - inset], waitBelow: topRowSouth + 1e-6 };
}

describe('export: cancel, resume and retry', () => {
  it('a cancelled export writes nothing, and started again fetches only the tiles it lacks', async () => {
    const folder = join(home.root, 'resume');
    mkdirSync(folder);
    const out = join(folder, 'area.pmtiles');
    const { bbox, waitBelow } = twoRows();
    const body = { udf: 'Gate', bbox, minZoom: 14, maxZoom: 14, out, params: { gate: join(folder, 'gate'), wait_below: String(waitBelow) } };
    const started = (await post('/api/exports', body)).json() as JobSummary;
    expect(started.total).toBe(6);
    let detail = await job(started.id);
    while (detail.counts.succeeded < 3) detail = await job(started.id, detail.version);
    // One export per archive at a time.
    const busy = await post('/api/exports', body);
    expect(busy.status).toBe(409);
    expect((busy.json() as { error: { code: string } }).error.code).toBe('UDF_ERR_EXPORT_BUSY');
    await post(`/api/jobs/${started.id}/cancel`, {});
    const cancelled = await waitForEnd(started.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.export?.state).toBe('cancelled');
    expect(readdirSync(folder)).toEqual([]);

    const plan = (await post('/api/exports/plan', body)).json() as ExportPlan;
    expect(plan).toMatchObject({ tiles: 6, kept: 3 });
    writeFileSync(join(folder, 'gate'), '');
    const resumed = await exportAndWait(body);
    expect(resumed.total).toBe(3);
    expect(resumed.runs.map((run) => run.tile?.y)).toEqual([5636, 5636, 5636]);
    expect(resumed.export).toMatchObject({ state: 'written', kept: 3, archive: { tiles: 6 } });
    expect(Object.keys((await readArchive(out)).tiles)).toHaveLength(6);
  }, 120_000);

  it('failed tiles are listed, the archive holds the rest, and running it again retries only those', async () => {
    const folder = join(home.root, 'retry');
    mkdirSync(folder);
    const out = join(folder, 'area.mbtiles');
    const flag = join(folder, 'flag');
    writeFileSync(flag, '');
    const [west, , east] = PARIS;
    const body = { udf: 'Flaky_Tiles', bbox: PARIS, minZoom: 13, maxZoom: 13, out, params: { flag, fail_west_of: String((west + east) / 2) } };
    const first = await exportAndWait(body);
    const state = first.export as ExportState;
    expect(first.status).toBe('failed');
    expect(state.state).toBe('written');
    expect(state.failedCount).toBeGreaterThan(0);
    expect(state.failed[0]?.error).toMatchObject({ code: 'UDF_ERR_RUNTIME', message: expect.stringMatching(/fails while the flag file exists/) as unknown });
    expect(first.runs.filter((run) => run.status === 'failed').every((run) => run.attempts === 3)).toBe(true);
    expect(Object.keys((await readArchive(out)).tiles)).toHaveLength(first.total - state.failedCount);

    const failedTiles = state.failed.map(({ z, x, y }) => ({ z, x, y }));
    rmSync(flag);
    const second = await exportAndWait(body);
    expect(second.status).toBe('succeeded');
    expect(second.runs.map((run) => run.tile)).toEqual(failedTiles);
    expect(second.export).toMatchObject({ state: 'written', failedCount: 0, archive: { tiles: first.total } });
    expect(Object.keys((await readArchive(out)).tiles)).toHaveLength(first.total);
  }, 120_000);
});

describe('udf-studio export (the CLI)', () => {
  it('exports on the running engine when there is one (its jobs, its cache)', async () => {
    const out = join(outDir, 'cli-running.mbtiles');
    const done = await runCli(['export', 'Raster_Tiles', '--bbox', PARIS.join(','), '--zoom', '11', '--out', out], home.env);
    expect(done.stderr).toContain(`exporting on the engine at ${server.url}`);
    expect(done.code, done.stderr).toBe(0);
    const listed = (await request(server.url, '/api/jobs', { headers: bearer(server) })).json() as { jobs: JobSummary[] };
    const exported = listed.jobs.find((entry) => entry.export?.out === out);
    expect(exported?.export?.state).toBe('written');
    // The CLI follows it without the runs (an export may have thousands).
    const progress = (await request(server.url, `/api/jobs/${exported?.id}?runs=false`, { headers: bearer(server) })).json() as Record<string, unknown>;
    expect(progress).toMatchObject({ id: exported?.id, status: 'succeeded', version: expect.any(Number) as unknown });
    expect(progress).not.toHaveProperty('runs');
    expectSameTiles((await readArchive(out)).tiles, await liveTiles('Raster_Tiles', PARIS, 11, 11, 'png'));
  }, 120_000);

  it('on an engine of its own: prints the plan, a progress line and the archive it wrote; a bad area is a usage error', async () => {
    const cliHome = makeTestHome();
    try {
      cliHome.write({ 'ws/Vector_Tiles/meta.json': metaJson('Vector_Tiles', { metadata: { 'fused:name': 'Vector_Tiles', 'fused:udfType': 'vector_tile' } }), 'ws/Vector_Tiles/Vector_Tiles.py': UDFS.Vector_Tiles?.code ?? '' });
      const ws = join(cliHome.root, 'ws');
      const out = join(cliHome.root, 'cli.pmtiles');
      const done = await runCli(['export', 'Vector_Tiles', '--bbox', PARIS.join(','), '--zoom', '12-13', '--out', out, '--workspace', ws], cliHome.env);
      expect(done.stderr).toMatch(/Vector_Tiles: 22 tiles at zooms 12-13 \(12: 6, 13: 16\) as mvt into /);
      expect(done.stderr).toMatch(/wrote .*cli\.pmtiles: \d+ tiles \(\d+ distinct, \d+ empty left out\)/);
      expect(done.code, done.stderr).toBe(0);
      expect(Object.keys((await readArchive(out)).tiles).length).toBeGreaterThan(0);

      const inverted = await runCli(['export', 'Vector_Tiles', '--bbox', '2.4,48.83,2.25,48.9', '--zoom', '12', '--out', join(cliHome.root, 'bad.pmtiles'), '--workspace', ws], cliHome.env);
      expect(inverted.code).toBe(2);
      expect(inverted.stderr).toMatch(/UDF_ERR_EXPORT_AREA: the bounding box is inverted or empty/);
      const badZoom = await runCli(['export', 'Vector_Tiles', '--bbox', PARIS.join(','), '--zoom', '3-30', '--out', join(cliHome.root, 'bad.pmtiles'), '--workspace', ws], cliHome.env);
      expect(badZoom.code).toBe(2);
      expect(badZoom.stderr).toMatch(/from 0 to 24, got 30/);
      expect(existsSync(join(cliHome.root, 'bad.pmtiles'))).toBe(false);
    } finally {
      cliHome.remove();
    }
  }, 300_000);
});
