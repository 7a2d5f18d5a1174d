/**
 * Tile exports: tiles/s of an uncached and of a cached area baked into a PMTiles archive, next to
 * the live tile URL's tiles/s over the same kind of area in the same run (as many connections as
 * the export keeps tiles in flight).
 */

import { Agent } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { JobSummary } from '../src-shared/jobs.js';
import { tileToBounds, type Bounds } from '../src-shared/tiles.js';
import { tilesOf } from '../src-main/engine/export/tile-range.js';
import { startEngineServer, type EngineServer } from '../src-main/engine/server/engine-server.js';
import { get } from './http-get.js';
import { report } from './stats.js';

/** Tiles per side of each area (zoom 14). */
const SIDE = 30;
const ZOOM = 14;
/** Connections for the live URL: what an export keeps in flight (EXPORT_CONCURRENCY). */
const CONNECTIONS = 16;

export async function benchExport(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write(`\nExport: ${SIDE * SIDE} tiles at zoom ${ZOOM} into a PMTiles archive, next to the live tile URL\n`);
  const workspace = join(home, 'bench-export-udfs');
  mkdirSync(join(workspace, 'Tile_Box'), { recursive: true });
  writeFileSync(join(workspace, 'Tile_Box', 'Tile_Box.py'), `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import geopandas as gpd
    import shapely
    w, s, e, n = bounds
    cells = [shapely.box(w + (e - w) * i / 4, s, w + (e - w) * (i + 1) / 4, n) for i in range(4)]
    return gpd.GeoDataFrame({"i": range(4)}, geometry=cells, crs="EPSG:4326")
`);
  const server = await startEngineServer({ env, workspaces: [workspace], port: 0, poolSize: availableParallelism() });
  try {
    const areaA = area(8000);
    const areaB = area(8000 + SIDE);
    const live = (bbox: Bounds): Promise<number> => liveRate(server, bbox);
    const exported = (bbox: Bounds, name: string): Promise<number> => exportRate(server, bbox, join(home, name));
    const liveUncached = await live(areaB);
    const exportUncached = await exported(areaA, 'uncached.pmtiles');
    const liveCached = await live(areaA);
    const exportCached = await exported(areaB, 'cached.pmtiles');
    report(`live tile URL, uncached (${CONNECTIONS} connections)`, `${liveUncached.toFixed(0)} /s`);
    report('export, uncached area', `${exportUncached.toFixed(0)} /s`, `${(exportUncached / liveUncached).toFixed(2)}x the live URL`);
    report(`live tile URL, cached (${CONNECTIONS} connections)`, `${liveCached.toFixed(0)} /s`);
    report('export, cached area', `${exportCached.toFixed(0)} /s`, `${(exportCached / liveCached).toFixed(2)}x the live URL`);
  } finally {
    await server.close();
  }
}

/** SIDE × SIDE tiles at ZOOM from column `x0`, row 5000. */
function area(x0: number): Bounds {
  const [west, , , north] = tileToBounds({ z: ZOOM, x: x0, y: 5000 });
  const [, south, east] = tileToBounds({ z: ZOOM, x: x0 + SIDE - 1, y: 5000 + SIDE - 1 });
  const inset = 1e-7;
  return [west + inset, south + inset, east - inset, north - inset];
}

async function liveRate(server: EngineServer, bbox: Bounds): Promise<number> {
  const tiles = [...tilesOf({ bbox, minZoom: ZOOM, maxZoom: ZOOM })];
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tiles.length) {
      const { z, x, y } = tiles[next++] as { z: number; x: number; y: number };
      const status = await get(server.url, `/${sharedToken(server)}/run/tiles/${z}/${x}/${y}.mvt`, agent);
      if (status !== 200) throw new Error(`tile answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
  return tiles.length / ((performance.now() - started) / 1000);
}

const tokens = new WeakMap<EngineServer, string>();

/** The live URL map clients use: a shared token's tile URL. */
function sharedToken(server: EngineServer): string {
  const known = tokens.get(server);
  if (known) return known;
  const made = server.services.tokens.create({ udfSlug: 'Tile_Box' }).token;
  tokens.set(server, made);
  return made;
}

async function exportRate(server: EngineServer, bbox: Bounds, out: string): Promise<number> {
  const auth = { authorization: `Bearer ${server.services.privateToken}`, 'content-type': 'application/json' };
  const started = performance.now();
  const answer = await fetch(`${server.url}/api/exports`, {
    method: 'POST', headers: auth, body: JSON.stringify({ udf: 'Tile_Box', bbox, minZoom: ZOOM, maxZoom: ZOOM, out, tileFormat: 'mvt' }),
  });
  if (answer.status !== 201) throw new Error(`the export did not start: ${await answer.text()}`);
  let job = (await answer.json()) as JobSummary & { version?: number };
  let version = 0;
  while (job.status === 'running') {
    const detail = (await (await fetch(`${server.url}/api/jobs/${job.id}?since=${version}&wait=5000&runs=false`, { headers: auth })).json()) as JobSummary & { version: number };
    job = detail;
    version = detail.version;
  }
  if (job.export?.state !== 'written' || job.export.failedCount > 0) throw new Error(`the export ended ${job.export?.state ?? job.status}`);
  return job.total / ((performance.now() - started) / 1000);
}
