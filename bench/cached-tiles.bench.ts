/**
 * Cached tiles over HTTP: 50 concurrent keep-alive connections from a load generator in its own
 * process (wrk when installed, a C client whose own cost stays out of the figures; else autocannon)
 * against the engine's server and, in the same run, a bare Node `http` server returning the same
 * bytes; then 304 revalidations under the same load, and one request at a time on one keep-alive
 * connection. The three loads run in turn, {@link ROUNDS} rounds, each reported by its median
 * round. The tile is a PNG of about 10 KB (noise over a gradient), the size of a typical map tile.
 */

import { createServer, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import { get } from './http-get.js';
import { loadTest, type LoadResult } from './load.js';
import { medianRounds, ms, report, summarise } from './stats.js';

const CONNECTIONS = 50;
const SECONDS = 4;
const ROUNDS = 3;
const SEQUENTIAL = 2_000;

export async function benchCachedTiles(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write(`\nCache: one cached tile over HTTP, ${CONNECTIONS} keep-alive connections for ${SECONDS} s\n`);
  const workspace = join(home, 'cache-bench-udfs');
  mkdirSync(join(workspace, 'Tile_Png'), { recursive: true });
  writeFileSync(join(workspace, 'Tile_Png', 'Tile_Png.py'), `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import numpy as np
    gradient = np.tile(np.arange(256, dtype="uint8"), (256, 1))
    noise = np.random.default_rng(7).integers(0, 2, (256, 256), dtype="uint8")
    return gradient | noise
`);
  const server = await startEngineServer({ env, workspaces: [workspace], port: 0, poolSize: 1 });
  try {
    const token = server.services.tokens.create({ udfSlug: 'Tile_Png' }).token;
    const path = `/${token}/run/tiles/10/512/340.png`;
    const first = await fetch(`${server.url}${path}`);
    const bytes = Buffer.from(await first.arrayBuffer());
    const etag = first.headers.get('etag') ?? '';
    const check = await fetch(`${server.url}${path}`, { headers: { 'if-none-match': etag } });
    if (check.status !== 304) throw new Error(`a revalidation answered ${check.status}, not 304`);
    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(bytes.length) });
      res.end(bytes);
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/tile.png`;
    const [engine, revalidated, reference] = await medianRounds(ROUNDS, [
      () => loadTest(`${server.url}${path}`, CONNECTIONS, SECONDS),
      () => loadTest(`${server.url}${path}`, CONNECTIONS, SECONDS, { 'if-none-match': etag }),
      () => loadTest(bareUrl, CONNECTIONS, SECONDS),
    ], (result) => result.requestsPerSecond) as [LoadResult, LoadResult, LoadResult];
    bare.closeAllConnections();
    bare.close();

    process.stdout.write(`  (median of ${ROUNDS} rounds each, the three loads in turn)\n`);
    report(`bare Node http server, same ${bytes.length} bytes (load: ${reference.tool})`, `${Math.round(reference.requestsPerSecond)} /s`, `p50 ${reference.p50} ms`);
    report('engine server, cached tile', `${Math.round(engine.requestsPerSecond)} /s`, `p50 ${engine.p50} ms, ${engine.non2xx} non-2xx`);
    report('engine / bare', (engine.requestsPerSecond / reference.requestsPerSecond).toFixed(2), 'target >= 0.70');
    report('engine server, 304 revalidation', `${Math.round(revalidated.requestsPerSecond)} /s`, `p50 ${revalidated.p50} ms; / hits ${(revalidated.requestsPerSecond / engine.requestsPerSecond).toFixed(2)} (target >= 1)`);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const samples: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const started = performance.now();
      await get(server.url, path, agent);
      samples.push(performance.now() - started);
    }
    agent.destroy();
    report(`cached tile, one request at a time (${SEQUENTIAL}), p50`, ms(summarise(samples).p50), 'target < 1 ms');
    report('cached tile, one request at a time, p99', ms(summarise(samples).p99));
  } finally {
    await server.close();
  }
}
