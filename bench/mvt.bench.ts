/**
 * MVT encoding of 10,000 polygons: the UDF returns a prebuilt 100×100 grid over one z=10 tile, so
 * the worker's time is almost all encoding (clip, transform, protobuf).
 */

import { Engine } from '../src-main/engine/engine.js';
import { makeSource, type UdfFolder } from '../src-main/engine/workspace/udf-folder.js';
import { ms, report, summarise } from './stats.js';

const RUNS = 5;
const TILE = { x: 300, y: 400, z: 10 };
const GRID_CODE = `
import geopandas as gpd
import shapely

GRID = None

@fused.udf
def udf(bounds: fused.types.Bounds = None):
    global GRID
    if GRID is None:
        w, s, e, n = bounds
        dx, dy = (e - w) / 100, (n - s) / 100
        cells = [shapely.box(w + dx * i, s + dy * j, w + dx * (i + 0.8), s + dy * (j + 0.8)) for i in range(100) for j in range(100)]
        GRID = gpd.GeoDataFrame({"i": range(10_000)}, geometry=cells, crs="EPSG:4326")
    return GRID
`;

export async function benchMvt(env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write('\nMVT: encoding 10,000 polygons for one tile\n');
  const engine = await Engine.open({ env, poolSize: 1, cache: false });
  try {
    const udf: UdfFolder = {
      kind: 'udf', name: 'Grid', dir: '', udfType: 'vector_tile', meta: null, readme: null, description: null,
      source: makeSource({ name: 'Grid', path: null, dir: null, code: GRID_CODE, entrypoint: null, headers: [], metadata: {} }),
    };
    const durations: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= RUNS; i++) {
      const { outcome } = await engine.run({ udf, tile: TILE, formats: ['mvt'] });
      if (!outcome.ok) throw new Error(`mvt run failed: ${outcome.error.message}`);
      // The first run also builds the grid; it is not counted.
      if (i > 0) durations.push(outcome.durationMs);
      bytes = outcome.body.byteLength;
    }
    report(`MVT encode, 10,000 polygons (median of ${RUNS}, ${Math.round(bytes / 1024)} KiB)`, ms(summarise(durations).p50));
  } finally {
    await engine.close();
  }
}
