/**
 * A test hook: `UDF_STUDIO_TEST_PAUSE_CACHE_WRITE=partial` (half the body written to its temporary
 * file) or `=renamed` (the file in place, its index row not yet written) stops the engine inside
 * its first cache write at that stage, after saying so on stderr, so a test can kill it there.
 */

import type { ResultCacheOptions, WriteStage } from './result-cache.js';

export const PAUSE_ENV = 'UDF_STUDIO_TEST_PAUSE_CACHE_WRITE';
/** What the engine prints on stderr once paused. */
export const PAUSED_LINE = 'cache write paused';
const STAGES: readonly WriteStage[] = ['partial', 'renamed'];

export function pauseHookFromEnv(env: NodeJS.ProcessEnv): Pick<ResultCacheOptions, 'pauseWrite'> {
  const wanted = env[PAUSE_ENV];
  if (!wanted) return {};
  if (!STAGES.includes(wanted as WriteStage)) throw new Error(`${PAUSE_ENV} must be one of ${STAGES.join(', ')}, got "${wanted}"`);
  return {
    pauseWrite(stage) {
      if (stage !== wanted) return;
      process.stderr.write(`${PAUSED_LINE} (${stage})\n`);
      // Blocks the whole process, on purpose: nothing may finish the write before the test's kill.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    },
  };
}
