/**
 * Real worker pools for integration tests, and small UDF sources to run in them.
 */

import { resourcePaths } from '../../src-main/engine/resources.js';
import { READABLE_DEFAULTS, type Format } from '../../src-shared/formats.js';
import type { RunOutcome, RunRequest, RunSuccess, UdfSource } from '../../src-shared/udf.js';
import { runtimePython } from '../../src-main/engine/runtime/python-env.js';
import { WorkerPool, type PoolOptions } from '../../src-main/engine/runtime/worker-pool.js';
import { makeSource } from '../../src-main/engine/workspace/udf-folder.js';
import { homeForEachTest, RUNTIME_DIR, type TestHome } from './test-home.js';

/** A pool of real Python workers running from the test home. */
export function makePool(home: TestHome, options: Partial<PoolOptions> = {}): WorkerPool {
  return new WorkerPool({
    python: runtimePython(RUNTIME_DIR),
    cwd: home.root,
    env: { ...home.env, UDF_STUDIO_WORKSPACES: home.root, UDF_STUDIO_PRELOAD: '', UDF_STUDIO_WORKER: '1', PYTHONPATH: resourcePaths().runtime },
    size: 1,
    ...options,
  });
}

export interface PoolTestHome {
  /** The home of the test under way (see homeForEachTest). */
  home: TestHome;
  /** A pool from that home (see makePool), closed after the test. */
  newPool: (options?: Partial<PoolOptions>) => WorkerPool;
  /** The same, started. */
  startPool: (options?: Partial<PoolOptions>) => Promise<WorkerPool>;
}

/** For a file of worker-pool tests: a home for each test, and the pools it made closed after it. */
export function poolHomeForEachTest(): PoolTestHome {
  let pools: WorkerPool[] = [];
  const home = homeForEachTest({
    cleanup: async () => {
      const closing = pools;
      pools = [];
      await Promise.all(closing.map((pool) => pool.close()));
    },
  });
  const newPool = (options: Partial<PoolOptions> = {}): WorkerPool => {
    const pool = makePool(home, options);
    pools.push(pool);
    return pool;
  };
  return {
    home, newPool,
    startPool: async (options = {}) => {
      const pool = newPool(options);
      await pool.start();
      return pool;
    },
  };
}

/** A UDF given as inline code. */
export function inlineUdf(name: string, code: string, headers: UdfSource['headers'] = []): UdfSource {
  return makeSource({ name, path: null, dir: null, code, entrypoint: null, headers, metadata: {} });
}

/** A run request with the readable defaults. */
export function runOf(udf: UdfSource, params: Record<string, unknown> = {}, extra: Partial<RunRequest> = {}): RunRequest {
  return { udf, params, tile: null, formats: [] as Format[], defaults: READABLE_DEFAULTS, ...extra };
}

/** The outcome's JSON body; fails the test with the UDF's error when the run failed. */
export function jsonOf(outcome: RunOutcome): unknown {
  return JSON.parse(Buffer.from(expectOk(outcome).body).toString('utf8'));
}

export function expectOk(outcome: RunOutcome): RunSuccess {
  if (!outcome.ok) throw new Error(`run failed: ${JSON.stringify(outcome.error)}`);
  return outcome;
}
