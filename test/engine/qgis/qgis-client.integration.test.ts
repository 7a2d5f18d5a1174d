import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { colorOf, rampAt, singleStyle, styleFromVizConfig, type FeatureStyle } from '../../../src-renderer/src/map/feature-style.js';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { JobSummary } from '../../../src-shared/jobs.js';
import type { QgisLayerAnswer } from '../../../src-shared/qgis.js';
import { bearer, request, startTestServer } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

// Debian's QGIS (qgis, python3-qgis) loads the layer files the engine writes, headless, with the
// system Python. CI installs it; elsewhere these tests say why they skip.
const SYSTEM_PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('./qgis_client.py', import.meta.url));
const hasQgis = (() => {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import qgis.core'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error('CI must have QGIS installed (apt-get install qgis python3-qgis) for the Open in QGIS tests');
    process.stderr.write('skipping the QGIS tests: QGIS is not installed (apt-get install qgis python3-qgis)\n');
    return false;
  }
})();

interface LoadedLayer {
  name: string;
  provider: string;
  valid: boolean;
  url: string;
  zmin: string;
  zmax: string;
  crs: string;
  abstract: string;
}

interface RenderReport {
  loaded: boolean;
  error: string;
  layers: LoadedLayer[];
  render_errors: string[];
  differing_pixels: number;
  colours: number;
  common_colours: number[][];
}

interface ColorsReport {
  loaded: boolean;
  colors: Array<{ fill: number[]; stroke: number[]; point: number[] }>;
}

const TEAL_VIZ = { vectorLayer: { filled: true, getFillColor: { '@@function': 'colorContinuous', attr: 'value', domain: [0, 10], colors: 'TealGrn' } } };
const CATEGORY_VIZ = { vectorLayer: { filled: true, getFillColor: { '@@function': 'colorCategories', attr: 'kind', domain: ['a', 'b', "o'q"], colors: 'Bold' }, getLineColor: [0, 0, 0] } };
/** A vector tile UDF whose features carry a number and a category, with a text parameter. */
const FEATURES_CODE = `@fused.udf
def udf(bounds: fused.types.Bounds = None, label: str = "none"):
    import geopandas as gpd
    import shapely
    w, s, e, n = bounds
    cells = [shapely.box(w + (e - w) * i / 4, s, w + (e - w) * (i + 1) / 4, n) for i in range(4)]
    return gpd.GeoDataFrame({"value": [0.0, 3.0, 6.0, 9.0], "kind": ["a", "b", "o'q", "z"], "label": label}, geometry=cells, crs="EPSG:4326")
`;

let home: TestHome;
let server: EngineServer;

beforeAll(async () => {
  if (!hasQgis) return;
  home = makeTestHome();
  const workspace = join(home.root, 'ws');
  mkdirSync(workspace, { recursive: true });
  for (const name of ['Tile_Grid', 'Raster_Gradient']) cpSync(join(resourcePaths().exampleUdfs, name), join(workspace, name), { recursive: true });
  for (const [name, vizConfig] of [['Teal', TEAL_VIZ], ['Categories', CATEGORY_VIZ], ['Plain', null]] as const) {
    home.write({
      [`ws/${name}/meta.json`]: metaJson(name, { metadata: { 'fused:name': name, 'fused:udfType': 'vector_tile', ...(vizConfig ? { 'fused:vizConfig': vizConfig } : {}) } }),
      [`ws/${name}/${name}.py`]: FEATURES_CODE,
    });
  }
  // The layer files are only written here: QGIS is started by the tests themselves, headless.
  home.env.UDF_STUDIO_QGIS = '';
  server = await startTestServer(home, [workspace], 2);
}, 120_000);

afterAll(async () => {
  await server?.close();
  home?.remove();
});

async function openInQgis(udf: string, params: Record<string, string> = {}): Promise<QgisLayerAnswer> {
  const answer = await request(server.url, `/api/udfs/${udf}/qgis`, { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify({ params }) });
  expect(answer.status, answer.text).toBe(201);
  return answer.json() as QgisLayerAnswer;
}

/** Runs QGIS's side (qgis_client.py) without blocking this process, whose server QGIS calls. */
async function qgis<T>(mode: 'render' | 'colors' | 'archive', layerFile: string, other: string): Promise<T> {
  const env = { ...process.env, QT_QPA_PLATFORM: 'offscreen', HOME: home.root, XDG_RUNTIME_DIR: home.root };
  const { stdout } = await promisify(execFile)(SYSTEM_PYTHON, [CLIENT, mode, layerFile, other], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

describe.skipIf(!hasQgis)('Open in QGIS, read back by QGIS 3.22 (headless)', () => {
  it('loads a vector tile UDF as a vector tile layer and renders its features at the layer\'s extent', async () => {
    const answer = await openInQgis('Tile_Grid', { cells: '8' });
    expect(answer).toMatchObject({ kind: 'vector', opened: false });
    const report = await qgis<RenderReport>('render', answer.file, join(home.root, 'tile-grid.png'));
    expect(report.loaded, report.error).toBe(true);
    expect(report.layers).toHaveLength(1);
    expect(report.layers[0]).toMatchObject({ name: 'Tile_Grid', provider: 'vectortile', valid: true, url: answer.tileUrl, crs: 'EPSG:3857', zmin: '0', zmax: '22' });
    expect(report.layers[0]?.url).toMatch(/\/fsh_[\w-]+\/run\/tiles\/\{z\}\/\{x\}\/\{y\}\.mvt\?cells=8$/);
    expect(report.layers[0]?.abstract).toContain(answer.token);
    expect(report.render_errors).toEqual([]);
    expect(report.differing_pixels).toBeGreaterThan(1000);
    // Every cell is far past vizConfig's 12 km at the world's extent: the ramp's last colour, as
    // the window's map draws it, outlines them.
    expect(report.common_colours).toContainEqual([...rampAt(1), 255]);
  });

  it('loads a raster tile UDF as an XYZ layer, with its parameters in the URL, and renders its pixels', async () => {
    const answer = await openInQgis('Raster_Gradient', { palette: 'grey' });
    expect(answer.kind).toBe('raster');
    const report = await qgis<RenderReport>('render', answer.file, join(home.root, 'gradient.png'));
    expect(report.loaded, report.error).toBe(true);
    expect(report.layers[0]).toMatchObject({ name: 'Raster_Gradient', provider: 'wms', valid: true, url: answer.tileUrl, crs: 'EPSG:3857' });
    expect(report.layers[0]?.url).toMatch(/\{z\}\/\{x\}\/\{y\}\.png\?palette=grey$/);
    expect(report.render_errors).toEqual([]);
    expect(report.differing_pixels).toBeGreaterThan(60_000);
    // A grey gradient: many shades, and all of them grey.
    expect(report.colours).toBeGreaterThan(100);
    for (const [r, g, b] of report.common_colours) expect([g, b]).toEqual([r, r]);
  });

  it('keeps parameter values that need escaping intact through QGIS\'s data source', async () => {
    const label = 'a b&c=d%25+é/?#';
    const answer = await openInQgis('Plain', { label });
    const report = await qgis<RenderReport>('render', answer.file, join(home.root, 'plain.png'));
    expect(report.layers[0]?.url).toBe(answer.tileUrl);
    expect(new URL(answer.tileUrl.replace('{z}/{x}/{y}', '0/0/0')).searchParams.get('label')).toBe(label);
    expect(report.differing_pixels).toBeGreaterThan(0);
  });

  const sample = (column: string, values: unknown[]): Array<Record<string, unknown>> => values.map((value) => ({ [column]: value }));
  const cases: Array<[string, Record<string, unknown> | null, Array<Record<string, unknown>>]> = [
    ['Teal', TEAL_VIZ, sample('value', [null, -3, 0, 1.25, 2.5, 5, 6.66, 9.99, 10, 99, 'not a number'])],
    ['Categories', CATEGORY_VIZ, sample('kind', ['a', 'b', "o'q", 'z', null])],
    ['Plain', null, sample('value', [1])],
  ];
  for (const [udf, vizConfig, features] of cases) {
    it(`colours ${udf}'s features in QGIS as the window's map does (${vizConfig ? 'fused:vizConfig' : 'no vizConfig: one colour'})`, async () => {
      const answer = await openInQgis(udf);
      const propertiesFile = join(home.root, `${udf}-properties.json`);
      writeFileSync(propertiesFile, JSON.stringify(features));
      const report = await qgis<ColorsReport>('colors', answer.file, propertiesFile);
      expect(report.loaded).toBe(true);
      const style: FeatureStyle = styleFromVizConfig(vizConfig) ?? singleStyle();
      const fillAlpha = Math.round(style.fillAlpha * 255);
      features.forEach((properties, index) => {
        const expected = colorOf(style, properties);
        const got = report.colors[index];
        // QGIS rounds as JavaScript does, up to the last bit of a float: one step at most.
        for (const [colour, alpha] of [[got?.fill, fillAlpha], [got?.stroke, 255], [got?.point, 255]] as const) {
          expect(colour?.[3], JSON.stringify(properties)).toBe(alpha);
          expected.forEach((channel, at) => expect(Math.abs((colour?.[at] ?? -9) - channel), `${JSON.stringify(properties)}: ${JSON.stringify(colour)} vs ${JSON.stringify(expected)}`).toBeLessThanOrEqual(1));
        }
      });
    });
  }
});

interface ArchiveReport {
  format: string;
  layers: LoadedLayer[];
  messages: string[];
  render_errors?: string[];
  differing_pixels?: number;
  colours?: number;
}

/** Exports an area of a tile UDF to an MBTiles archive through the engine and waits for the job. */
async function exportArchive(udf: string, out: string, minZoom: number, maxZoom: number): Promise<void> {
  const body = { udf, bbox: [2.25, 48.83, 2.4, 48.9], minZoom, maxZoom, out };
  const started = await request(server.url, '/api/exports', { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(started.status, started.text).toBe(201);
  const { id } = started.json() as { id: string };
  let detail = (await request(server.url, `/api/jobs/${id}?runs=false`, { headers: bearer(server) })).json() as JobSummary & { version: number };
  while (detail.status === 'running') {
    detail = (await request(server.url, `/api/jobs/${id}?runs=false&since=${detail.version}&wait=5000`, { headers: bearer(server) })).json() as JobSummary & { version: number };
  }
  expect(detail.export?.state).toBe('written');
}

describe.skipIf(!hasQgis)('exported archives, opened by QGIS 3.22 (headless) as a user adds them', () => {
  it('opens a vector tile UDF\'s MBTiles archive as a vector tile layer and draws its features', async () => {
    const out = join(home.root, 'grid.mbtiles');
    await exportArchive('Tile_Grid', out, 11, 12);
    const report = await qgis<ArchiveReport>('archive', out, join(home.root, 'grid-archive.png'));
    expect(report.format).toBe('pbf');
    expect(report.layers[0], JSON.stringify(report)).toMatchObject({ provider: 'vectortile', valid: true, url: out });
    expect(report.render_errors).toEqual([]);
    expect(report.differing_pixels, report.messages.join('\n')).toBeGreaterThan(1000);
  });

  it('opens a raster tile UDF\'s MBTiles archive through GDAL and draws its pixels', async () => {
    const out = join(home.root, 'gradient.mbtiles');
    await exportArchive('Raster_Gradient', out, 10, 11);
    const report = await qgis<ArchiveReport>('archive', out, join(home.root, 'gradient-archive.png'));
    expect(report.format).toBe('png');
    expect(report.layers[0]).toMatchObject({ provider: 'gdal', valid: true, crs: 'EPSG:3857' });
    expect(report.render_errors).toEqual([]);
    expect(report.differing_pixels, report.messages.join('\n')).toBeGreaterThan(1000);
    expect(report.colours).toBeGreaterThan(50);
  });
});
