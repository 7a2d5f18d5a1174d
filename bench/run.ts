/**
 * `npm run bench`: prints the figures the design's bars are measured by.
 *
 * Uses a throw-away home folder with the developer's runtime, so the figures never depend on (or
 * touch) a real workspace or cache.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { homePaths } from '../src-main/engine/home.js';
import { benchCachedTiles } from './cached-tiles.bench.js';
import { benchCluster } from './cluster.bench.js';
import { benchEngineOverhead } from './engine-overhead.bench.js';
import { benchExport } from './export.bench.js';
import { benchFusedCache } from './fused-cache.bench.js';
import { benchHttp } from './http.bench.js';
import { benchMvt } from './mvt.bench.js';
import { benchOfficialClient } from './official-client.bench.js';
import { benchPeers } from './peers.bench.js';
import { benchRemoteProxy } from './remote-proxy.bench.js';
import { benchSubmit } from './submit.bench.js';
import { benchWindowRefresh } from './window-refresh.bench.js';

const home = mkdtempSync(join(tmpdir(), 'udf-studio-bench-'));
const env = { ...process.env, UDF_STUDIO_HOME: home, UDF_STUDIO_RUNTIME: homePaths(process.env).runtime };
process.stdout.write(`UDF Studio benchmarks — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
try {
  await benchEngineOverhead(env);
  await benchHttp(env, home);
  await benchMvt(env);
  await benchCachedTiles(env, home);
  await benchExport(env, home);
  await benchPeers(env, home);
  await benchFusedCache(env);
  await benchSubmit(env, home);
  await benchRemoteProxy(env, home);
  await benchOfficialClient(env, home);
  await benchCluster(env, home);
  await benchWindowRefresh(env);
} finally {
  rmSync(home, { recursive: true, force: true });
}
