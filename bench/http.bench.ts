/**
 * The server: a warm trivial run over HTTP (one keep-alive connection), and uncached tile throughput.
 */

import { Agent } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import { get } from './http-get.js';
import { ms, report, summarise } from './stats.js';

const RUNS = 2_000;
const WARMUP = 200;
const TILES = 400;

export async function benchHttp(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write('\nServer: runs over HTTP on 127.0.0.1 (cache off)\n');
  const workspace = join(home, 'bench-udfs');
  writeUdf(workspace, 'Trivial', '@fused.udf\ndef udf(n: int = 1):\n    return n\n');
  writeUdf(workspace, 'Tile_Box', `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import geopandas as gpd
    import shapely
    w, s, e, n = bounds
    cells = [shapely.box(w + (e - w) * i / 4, s, w + (e - w) * (i + 1) / 4, n) for i in range(4)]
    return gpd.GeoDataFrame({"i": range(4)}, geometry=cells, crs="EPSG:4326")
`);
  const size = availableParallelism();
  const server = await startEngineServer({ env, workspaces: [workspace], port: 0, poolSize: size, cache: false });
  try {
    const trivial = server.services.tokens.create({ udfSlug: 'Trivial' }).token;
    const tile = server.services.tokens.create({ udfSlug: 'Tile_Box' }).token;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const started = performance.now();
      const status = await get(server.url, `/${trivial}/run/file?n=${i}&format=json`, agent);
      if (status !== 200) throw new Error(`trivial run answered ${status}`);
      if (i >= WARMUP) samples.push(performance.now() - started);
    }
    agent.destroy();
    const http = summarise(samples);
    report(`trivial run over HTTP, p50 (${RUNS} runs, 1 keep-alive connection)`, ms(http.p50), 'target < 1 ms');
    report('trivial run over HTTP, p99', ms(http.p99));

    const concurrent = new Agent({ keepAlive: true, maxSockets: size * 4 });
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TILES) {
        const i = next++;
        const status = await get(server.url, `/${tile}/run/tiles/14/${8000 + (i % 40)}/${5000 + Math.floor(i / 40)}.json`, concurrent);
        if (status !== 200) throw new Error(`tile answered ${status}`);
      }
    };
    await Promise.all(Array.from({ length: size * 4 }, worker));
    const seconds = (performance.now() - started) / 1000;
    concurrent.destroy();
    report(`uncached tiles/s (GeoDataFrame tile UDF, ${size} workers, ${TILES} tiles)`, `${(TILES / seconds).toFixed(0)} /s`);
  } finally {
    await server.close();
  }
}

function writeUdf(workspace: string, name: string, code: string): void {
  mkdirSync(join(workspace, name), { recursive: true });
  writeFileSync(join(workspace, name, `${name}.py`), code);
}
