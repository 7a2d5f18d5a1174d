import { beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { metaJson, type TestHome } from '../../helpers/test-home.js';
import { serverForFile } from '../../helpers/server.js';

// The server runs in this process, so GDAL must be called without blocking the event loop.
const run = async (command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> =>
  (await promisify(execFile)(command, args, { encoding: 'utf8', ...(env ? { env } : {}) })).stdout;

// GDAL reads tile URLs the way QGIS does. CI installs gdal-bin; elsewhere these tests say why they skip.
const hasGdal = (() => {
  try {
    execFileSync('ogrinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error('CI must have GDAL (gdal-bin) installed for the map-client tests');
    process.stderr.write('skipping the GDAL client tests: ogrinfo is not installed (apt-get install gdal-bin)\n');
    return false;
  }
})();

let home: TestHome;
let server: EngineServer;
let vectorToken: string;
let rasterToken: string;

/** A vector tile UDF (Squares) and a raster one (Ramp). */
function prepare(home: TestHome): void {
  home.write({
    'ws/Squares/meta.json': metaJson('Squares', { metadata: { 'fused:udfType': 'vector_tile' } }),
    'ws/Squares/Squares.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import geopandas as gpd
    import shapely
    w, s, e, n = bounds
    dx, dy = (e - w) / 4, (n - s) / 4
    cells = [shapely.box(w + dx * i, s + dy * j, w + dx * (i + 1), s + dy * (j + 1)) for i in range(4) for j in range(4)]
    return gpd.GeoDataFrame({"cell": range(16)}, geometry=cells, crs="EPSG:4326")
`,
    'ws/Ramp/meta.json': metaJson('Ramp', { metadata: { 'fused:udfType': 'raster' } }),
    'ws/Ramp/Ramp.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import numpy as np
    return np.tile(np.arange(256, dtype="uint8"), (256, 1))
`,
  });
}

describe.skipIf(!hasGdal)('GDAL as a map client', () => {
  serverForFile((started) => ({ home, server } = started), { poolSize: 2, prepare });
  beforeAll(() => {
    vectorToken = server.services.tokens.create({ udfSlug: 'Squares' }).token;
    rasterToken = server.services.tokens.create({ udfSlug: 'Ramp' }).token;
  });

  it('reads a vector tile (MVT) from the tile URL, georeferenced in Web Mercator', async () => {
    const url = `/vsicurl/${server.url}/${vectorToken}/run/tiles/12/2074/1409.pbf`;
    const output = await run('ogrinfo', ['-ro', '-al', '-so', url], { ...process.env, CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.pbf' });
    expect(output).toMatch(/Layer name: udf/);
    expect(output).toMatch(/Feature Count: 16/);
    expect(output).toMatch(/cell: Integer/);
    // The 16 cells cover the tile exactly, so the layer's extent is the tile's EPSG:3857 extent.
    const extent = /Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)/.exec(output);
    expect(extent).not.toBeNull();
    const [west, south, east, north] = (extent ?? []).slice(1).map(Number);
    const world = 2 * 20037508.342789244;
    const size = world / 2 ** 12;
    const tolerance = size / 4096;
    expect(Math.abs((west ?? 0) - (2074 * size - world / 2))).toBeLessThan(tolerance);
    expect(Math.abs((east ?? 0) - (2075 * size - world / 2))).toBeLessThan(tolerance);
    expect(Math.abs((north ?? 0) - (world / 2 - 1409 * size))).toBeLessThan(tolerance);
    expect(Math.abs((south ?? 0) - (world / 2 - 1410 * size))).toBeLessThan(tolerance);
  });

  it('reads XYZ raster tiles through its TMS driver', async () => {
    const wms = join(home.root, 'xyz.xml');
    writeFileSync(wms, `<GDAL_WMS>
  <Service name="TMS"><ServerUrl>${server.url}/${rasterToken}/run/tiles/\${z}/\${x}/\${y}.png</ServerUrl></Service>
  <DataWindow>
    <UpperLeftX>-20037508.34</UpperLeftX><UpperLeftY>20037508.34</UpperLeftY>
    <LowerRightX>20037508.34</LowerRightX><LowerRightY>-20037508.34</LowerRightY>
    <TileLevel>2</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY><YOrigin>top</YOrigin>
  </DataWindow>
  <Projection>EPSG:3857</Projection><BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY><BandsCount>1</BandsCount>
</GDAL_WMS>`);
    const out = join(home.root, 'tile.tif');
    await run('gdal_translate', ['-q', '-srcwin', '256', '256', '256', '256', wms, out]);
    const info = await run('gdalinfo', ['-stats', out]);
    expect(info).toMatch(/Size is 256, 256/);
    expect(info).toMatch(/Minimum=0\.000, Maximum=255\.000, Mean=127\.500/);
  });
});
