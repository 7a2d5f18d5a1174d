/**
 * A real Dask scheduler and workers on loopback for a test, from the test runtime's Python.
 */

import { LocalCluster } from '../../src-main/engine/cluster/local-cluster.js';
import { resourcePaths } from '../../src-main/engine/resources.js';
import { runtimePython } from '../../src-main/engine/runtime/python-env.js';
import { RUNTIME_DIR, type TestHome } from './test-home.js';

/** Starts a scheduler and `workers` workers with `threads` threads each, logging to nothing. */
export function startDaskCluster(home: TestHome, workers = 2, threads = 4): Promise<LocalCluster> {
  return LocalCluster.start({ python: runtimePython(RUNTIME_DIR), runtimeSources: resourcePaths().runtime, env: home.env, cwd: home.root, workers, threads });
}
