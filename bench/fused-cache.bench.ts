/**
 * A `@fused.cache` hit inside the runtime: the helper's result read back from the shared disk.
 */

import { runCommand } from '../src-main/engine/runtime/command.js';
import { runtimePython } from '../src-main/engine/runtime/python-env.js';
import { homePaths } from '../src-main/engine/home.js';
import { resourcePaths } from '../src-main/engine/resources.js';
import { report } from './stats.js';

const HITS = 1_000;
const SCRIPT = `
import contextlib, io, statistics, time
import fused

@fused.cache
def slow_square(n):
    time.sleep(0.05)
    return n * n

slow_square(7)
samples = []
with contextlib.redirect_stdout(io.StringIO()):
    for _ in range(${HITS}):
        started = time.perf_counter()
        slow_square(7)
        samples.append(time.perf_counter() - started)
print(statistics.median(samples) * 1e6)
`;

export async function benchFusedCache(env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write('\nRuntime: @fused.cache\n');
  const result = await runCommand(runtimePython(homePaths(env).runtime), ['-c', SCRIPT], { env: { ...env, PYTHONPATH: resourcePaths(env).runtime } });
  if (result.code !== 0) throw new Error(`the @fused.cache benchmark failed: ${result.stderr}`);
  report(`@fused.cache hit, median of ${HITS} (stdout discarded)`, `${Number(result.stdout.trim()).toFixed(0)} µs`);
}
