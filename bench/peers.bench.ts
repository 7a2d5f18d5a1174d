/**
 * UDF Studio next to what a user would otherwise run, in the same run on the same machine: the same
 * UDF functions served by FastAPI + uvicorn (as many workers as the engine's pool), and TiTiler
 * serving the same COG. Uncached everywhere: the engine's runs ask `cache=false`.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../src-main/engine/runtime/command.js';
import { runtimePython } from '../src-main/engine/runtime/python-env.js';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import { get } from './http-get.js';
import { loadTest, type LoadResult } from './load.js';
import { PEERS_DIR, peerPython } from './peer-venv.js';
import { medianRounds, ms, report, summarise } from './stats.js';

const CONNECTIONS = 8;
const SECONDS = 4;
const RUNS = 2_000;
const WARMUP = 200;
/**
 * Each server is measured this many times, in turn with its peers, and its median round counts:
 * on a small machine one five-second run can be 20% off, and a slow spell then falls on all.
 */
const ROUNDS = 3;
/** A z12 tile inside the COG (which covers 0..1.5 E, 50..51 N). */
const TILE = { z: 12, x: 2056, y: 1378 };
const COG_BOUNDS = ['0', '50', '1.5', '51'];
/** Calls timed for the tile's read alone, in each Python. */
const READ_CALLS = 40;

const TRIVIAL_UDF = '@fused.udf\ndef udf(n: int = 1):\n    return n\n';

/** Reads the tile's window of the COG warped to Web Mercator, 256 px, as a hand-written tiler would. */
function cogTileUdf(cog: string): string {
  return `@fused.udf
def udf(bounds: fused.types.Bounds = None, path: str = ${JSON.stringify(cog)}):
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import transform_bounds

    west, south, east, north = transform_bounds("EPSG:4326", "EPSG:3857", *bounds)
    transform = from_bounds(west, south, east, north, 256, 256)
    with rasterio.open(path) as src, WarpedVRT(
        src, crs="EPSG:3857", transform=transform, width=256, height=256,
        resampling=Resampling.bilinear,
    ) as vrt:
        return vrt.read()
`;
}

export async function benchPeers(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  const size = availableParallelism();
  process.stdout.write(`\nPeers: the same UDFs uncached, UDF Studio (pool of ${size}) next to FastAPI + uvicorn (${size} workers) and TiTiler (${size} workers)\n`);
  const python = runtimePython(env.UDF_STUDIO_RUNTIME ?? join(home, 'runtime'));
  let peers: string;
  try {
    const started = performance.now();
    peers = await peerPython(python, env);
    report('peers\' venv ready (FastAPI, uvicorn, TiTiler)', ms(performance.now() - started));
  } catch (error) {
    process.stdout.write(`  skipped: ${(error as Error).message}\n`);
    return;
  }

  const workspace = join(home, 'peer-bench-udfs');
  const cog = join(home, 'peer-bench.tif');
  const made = await runCommand(python, [join(PEERS_DIR, 'make_cog.py'), cog, ...COG_BOUNDS]);
  if (made.code !== 0) throw new Error(`could not write the COG: ${made.stderr}`);
  const trivialFile = writeUdf(workspace, 'Trivial', TRIVIAL_UDF);
  const tileFile = writeUdf(workspace, 'Cog_Tile', cogTileUdf(cog));

  const server = await startEngineServer({ env, workspaces: [workspace], port: 0, poolSize: size });
  const fastapi = await startUvicorn(peers, 'fastapi_app:app', size, { PEER_TRIVIAL_UDF: trivialFile, PEER_TILE_UDF: tileFile });
  const titiler = await startUvicorn(peers, 'titiler_app:app', size, {});
  try {
    const trivialToken = server.services.tokens.create({ udfSlug: 'Trivial' }).token;
    const tileToken = server.services.tokens.create({ udfSlug: 'Cog_Tile' }).token;
    const { z, x, y } = TILE;
    const urls = {
      engineTrivial: (n: number) => `${server.url}/${trivialToken}/run/file?n=${n}&format=json&cache=false`,
      peerTrivial: (n: number) => `${fastapi.url}/trivial?n=${n}`,
      engineTile: `${server.url}/${tileToken}/run/tiles/${z}/${x}/${y}.png?cache=false`,
      peerTile: `${fastapi.url}/tiles/${z}/${x}/${y}.png`,
      titilerTile: `${titiler.url}/tiles/WebMercatorQuad/${z}/${x}/${y}.png?url=${encodeURIComponent(cog)}`,
    };
    for (const url of [urls.engineTrivial(1), urls.peerTrivial(1), urls.engineTile, urls.peerTile, urls.titilerTile]) await expectOk(url);

    const [engineOne, peerOne] = await medianRounds(ROUNDS, [() => oneAtATime(urls.engineTrivial), () => oneAtATime(urls.peerTrivial)], (p50) => p50) as [number, number];
    compare(`trivial run, one request at a time (${RUNS}), p50`, ms(engineOne), 'FastAPI', ms(peerOne), peerOne / engineOne, 'faster than FastAPI');

    const [engineTrivial, peerTrivial] = await medianRounds(ROUNDS, [urls.engineTrivial(1), urls.peerTrivial(1)].map(load), rate) as [LoadResult, LoadResult];
    compareLoad(`trivial run, ${CONNECTIONS} connections`, engineTrivial, 'FastAPI', peerTrivial, 'at least level');

    const [engineTile, peerTile, titilerTile] = await medianRounds(ROUNDS, [urls.engineTile, urls.peerTile, urls.titilerTile].map(load), rate) as [LoadResult, LoadResult, LoadResult];
    compareLoad(`COG tile (WarpedVRT, 256 px PNG), ${CONNECTIONS} connections`, engineTile, 'FastAPI', peerTile, 'at least level');
    compareLoad(`COG tile, ${CONNECTIONS} connections`, engineTile, 'TiTiler', titilerTile, 'at least 2x');
    // Every server pays the UDF's read; each venv's rasterio wheel brings its own GDAL, which decides it.
    const [runtimeRead, peersRead] = [await readCost(python, tileFile), await readCost(peers, tileFile)];
    report('COG tile read alone (the UDF\'s function, one process, CPU)', ms(runtimeRead.ms),
      `rasterio ${runtimeRead.rasterio}, GDAL ${runtimeRead.gdal}; peers' venv ${ms(peersRead.ms)} (rasterio ${peersRead.rasterio}, GDAL ${peersRead.gdal})`);
    process.stdout.write(`  (median of ${ROUNDS} rounds each, servers in turn; load: ${engineTile.tool}; non-2xx: engine ${engineTrivial.non2xx + engineTile.non2xx}, FastAPI ${peerTrivial.non2xx + peerTile.non2xx}, TiTiler ${titilerTile.non2xx})\n`);
  } finally {
    fastapi.stop();
    titiler.stop();
    await server.close();
  }
}

function load(url: string): () => Promise<LoadResult> {
  return () => loadTest(url, CONNECTIONS, SECONDS);
}

function rate(result: LoadResult): number {
  return result.requestsPerSecond;
}

interface ReadCost { ms: number; rasterio: string; gdal: string }

/** CPU per call of the tile UDF's function alone, in `python` (bench/peers/read_cost.py). */
async function readCost(python: string, udfFile: string): Promise<ReadCost> {
  const { z, x, y } = TILE;
  const result = await runCommand(python, [join(PEERS_DIR, 'read_cost.py'), udfFile, String(z), String(x), String(y), String(READ_CALLS)]);
  if (result.code !== 0) throw new Error(`could not time the read in ${python}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ReadCost;
}

function writeUdf(workspace: string, name: string, code: string): string {
  mkdirSync(join(workspace, name), { recursive: true });
  const file = join(workspace, name, `${name}.py`);
  writeFileSync(file, code);
  return file;
}

function compare(name: string, engine: string, peerName: string, peer: string, ratio: number, target: string): void {
  report(name, engine, `${peerName} ${peer}, ratio ${ratio.toFixed(2)} (target: ${target})`);
}

function compareLoad(name: string, engine: LoadResult, peerName: string, peer: LoadResult, target: string): void {
  compare(name, `${Math.round(engine.requestsPerSecond)} /s`, peerName, `${Math.round(peer.requestsPerSecond)} /s`, engine.requestsPerSecond / peer.requestsPerSecond, target);
}

/** Median time of sequential GETs on one keep-alive connection, after a warm-up. */
async function oneAtATime(url: (n: number) => string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const target = new URL(url(i));
      const started = performance.now();
      const status = await get(target.origin, `${target.pathname}${target.search}`, agent);
      if (status !== 200) throw new Error(`${target.pathname} answered ${status}`);
      if (i >= WARMUP) samples.push(performance.now() - started);
    }
  } finally {
    agent.destroy();
  }
  return summarise(samples).p50;
}

async function expectOk(url: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  await response.arrayBuffer();
}

interface Peer { url: string; stop(): void }

/** uvicorn with `workers` processes in a process group of its own, ready once it answers. */
async function startUvicorn(python: string, app: string, workers: number, env: Record<string, string>): Promise<Peer> {
  const port = await freePort();
  const child: ChildProcess = spawn(python, ['-m', 'uvicorn', app, '--app-dir', PEERS_DIR, '--host', '127.0.0.1', '--port', String(port),
    '--workers', String(workers), '--log-level', 'warning', '--no-access-log'], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = `http://127.0.0.1:${port}`;
  const stop = (): void => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  };
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`${app} exited: ${stderr}`);
    try {
      await fetch(`${url}/docs`);
      return { url, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  stop();
  throw new Error(`${app} did not answer within 60 s: ${stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
