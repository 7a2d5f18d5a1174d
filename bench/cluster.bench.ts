/**
 * Jobs on a Dask cluster next to the local worker pool: 1,000 trivial runs and 100 runs that sleep
 * 1 s, through the engine's job API, on a scheduler and 2 Dask workers on this machine (16 threads
 * each) and on a local pool of 2 workers, measured in the same run (runs/s and wall time), uncached.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTTP_DEFAULTS } from '../src-shared/formats.js';
import { ClusterStore } from '../src-main/engine/cluster/cluster-config.js';
import { LocalCluster } from '../src-main/engine/cluster/local-cluster.js';
import { Engine } from '../src-main/engine/engine.js';
import { homePaths } from '../src-main/engine/home.js';
import { resourcePaths } from '../src-main/engine/resources.js';
import { runtimePython } from '../src-main/engine/runtime/python-env.js';
import type { UdfFolder } from '../src-main/engine/workspace/udf-folder.js';
import { report } from './stats.js';

const TRIVIAL = 1_000;
const NAPS = 100;
const WORKERS = 2;
const THREADS = 16;
const MAX_IN_FLIGHT = 32;

export async function benchCluster(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write(`\nJobs on a Dask cluster (scheduler + ${WORKERS} workers × ${THREADS} threads, loopback) vs the local pool (${WORKERS} workers); ${MAX_IN_FLIGHT} runs in flight\n`);
  const workspace = join(home, 'cluster-udfs');
  writeUdf(workspace, 'ClusterNap', '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(1)\n    return {"i": i}\n');
  writeUdf(workspace, 'ClusterTrivial', '@fused.udf\ndef udf(i: int = 0):\n    return i\n');
  const paths = homePaths(env);
  const cluster = await LocalCluster.start({ python: runtimePython(paths.runtime), runtimeSources: resourcePaths(env).runtime, env, cwd: home, workers: WORKERS, threads: THREADS });
  const engine = await Engine.open({ env, workspaces: [workspace], poolSize: WORKERS, preload: [], cache: false });
  try {
    new ClusterStore(paths.clusters).add('bench', cluster.address);
    await engine.clusters.connect('bench');
    for (const [name, count, label] of [['ClusterTrivial', TRIVIAL, 'trivial runs'], ['ClusterNap', NAPS, 'runs that sleep 1 s']] as const) {
      const udf = engine.workspace.resolveName(name);
      const local = await timeJob(engine, udf, count, undefined);
      const remote = await timeJob(engine, udf, count, 'bench');
      report(`${count} ${label}, local pool`, `${(count / local).toFixed(0)} runs/s`, `${local.toFixed(2)} s wall`);
      report(`${count} ${label}, Dask cluster`, `${(count / remote).toFixed(0)} runs/s`, `${remote.toFixed(2)} s wall`);
    }
  } finally {
    await engine.close();
    await cluster.stop();
  }
}

async function timeJob(engine: Engine, udf: UdfFolder, count: number, cluster: string | undefined): Promise<number> {
  const started = performance.now();
  const job = engine.jobs.submit({
    base: { udf, tile: null, formats: ['json'], defaults: HTTP_DEFAULTS, ...(cluster ? { cluster } : {}) },
    argList: Array.from({ length: count }, (_, i) => ({ i })),
    maxWorkers: MAX_IN_FLIGHT,
    maxRetry: 0,
  });
  while (!job.finishedAt) await engine.jobs.waitForChange(job.id, job.version, 1_000);
  const seconds = (performance.now() - started) / 1000;
  const summary = job.summary();
  if (summary.counts.succeeded !== count) throw new Error(`the job ended ${summary.status}: ${JSON.stringify(summary.counts)}`);
  return seconds;
}

function writeUdf(workspace: string, name: string, code: string): void {
  const dir = join(workspace, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.py`), code);
}
