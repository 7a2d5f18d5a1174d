/**
 * Submit jobs: 30 runs of a UDF that sleeps 1 s (the design's bar: under 2 s wall on this machine),
 * from the engine's job API and end to end from Python's `fused.submit`, the workers' memory while
 * they run, and 1,000 trivial runs through a job (runs/s), uncached and then from the cache.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { HTTP_DEFAULTS } from '../src-shared/formats.js';
import type { Engine } from '../src-main/engine/engine.js';
import { resourcePaths } from '../src-main/engine/resources.js';
import { runtimePython } from '../src-main/engine/runtime/python-env.js';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import type { UdfFolder } from '../src-main/engine/workspace/udf-folder.js';
import { report } from './stats.js';

const NAPS = 30;
const TRIVIAL = 1_000;

export async function benchSubmit(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write('\nSubmit jobs\n');
  const workspace = join(home, 'submit-udfs');
  writeUdf(workspace, 'Nap', '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(1)\n    return {"i": i}\n');
  writeUdf(workspace, 'Trivial', '@fused.udf\ndef udf(i: int = 0):\n    return i\n');
  const size = availableParallelism();
  const server = await startEngineServer({ env, workspaces: [workspace], port: 0, poolSize: size, preload: [] });
  const engine = server.services.engine;
  try {
    const nap = engine.workspace.resolveName('Nap');
    let peakBytes = 0;
    let peakRunning = 0;
    const sampler = setInterval(() => {
      const load = engine.pool.load();
      peakRunning = Math.max(peakRunning, load.running);
      peakBytes = Math.max(peakBytes, load.perWorker.reduce((sum, worker) => sum + worker.residentBytes, 0));
    }, 50);
    const napSeconds = await timeJob(engine, nap, NAPS, 0);
    clearInterval(sampler);
    report(`${NAPS} runs that sleep 1 s, engine job API (${size} workers)`, `${napSeconds.toFixed(2)} s`, `target < 2 s; one at a time: ${NAPS} s`);
    report(`  most runs in flight at once / workers' memory at the peak`, `${peakRunning} / ${Math.round(peakBytes / 1024 ** 2)} MiB`);
    report(`${NAPS} runs that sleep 1 s, fused.submit from Python (end to end)`, `${pythonSubmitSeconds(env, home).toFixed(2)} s`, 'target < 2 s');

    const trivial = engine.workspace.resolveName('Trivial');
    const uncached = await timeJob(engine, trivial, TRIVIAL, 0);
    report(`${TRIVIAL} trivial runs through a job, uncached`, `${(TRIVIAL / uncached).toFixed(0)} runs/s`, `${uncached.toFixed(2)} s`);
    await timeJob(engine, trivial, TRIVIAL, null);
    const cached = await timeJob(engine, trivial, TRIVIAL, null);
    report(`${TRIVIAL} trivial runs through a job, from the result cache`, `${(TRIVIAL / cached).toFixed(0)} runs/s`, `${cached.toFixed(2)} s`);
  } finally {
    await server.close();
  }
}

async function timeJob(engine: Engine, udf: UdfFolder, count: number, cacheMaxAge: number | null): Promise<number> {
  const started = performance.now();
  const job = engine.jobs.submit({
    base: { udf, tile: null, formats: ['json'], defaults: HTTP_DEFAULTS, cacheMaxAge },
    argList: Array.from({ length: count }, (_, i) => ({ i })),
    maxWorkers: 32,
    maxRetry: 0,
  });
  while (!job.finishedAt) await engine.jobs.waitForChange(job.id, job.version, 1_000);
  const seconds = (performance.now() - started) / 1000;
  const summary = job.summary();
  if (summary.counts.succeeded !== count) throw new Error(`the job ended ${summary.status}: ${JSON.stringify(summary.counts)}`);
  return seconds;
}

/** Wall time of `fused.submit(nap, range(30))` in a Python process, through the running engine. */
function pythonSubmitSeconds(env: NodeJS.ProcessEnv, home: string): number {
  const script = [
    // pandas is loaded first, as in a notebook: collect() returns a DataFrame.
    'import time, pandas, fused',
    'nap = fused.load("Nap")',
    'started = time.perf_counter()',
    `frame = fused.submit(nap, list(range(100, ${100 + NAPS})), show_progress=False)`,
    `assert len(frame) == ${NAPS}, frame`,
    'print(time.perf_counter() - started)',
  ].join('\n');
  const python = runtimePython(String(env.UDF_STUDIO_RUNTIME));
  const result = spawnSync(python, ['-c', script], {
    env: { ...env, UDF_STUDIO_HOME: home, UDF_STUDIO_WORKSPACES: join(home, 'submit-udfs'), PYTHONPATH: [resourcePaths(env).runtime, env.PYTHONPATH].filter(Boolean).join(delimiter) },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`fused.submit failed: ${result.stderr}`);
  return Number(result.stdout.trim().split('\n').at(-1));
}

function writeUdf(workspace: string, name: string, code: string): void {
  const dir = join(workspace, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.py`), code);
}
