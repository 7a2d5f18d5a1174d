/**
 * The official fused client (PyPI `fused`, in the conformance venv) against a real server: what a
 * notebook's `fused.run("fsh_...")` costs here, next to the seed's figure for the cloud.
 */

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import { ms, report } from './stats.js';

const execFileAsync = promisify(execFile);
const CALLS = 100;
const SLOW_CALLS = 5;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Times `fused.run` calls in the client's own process; prints one JSON object of millisecond lists. */
const SCRIPT = `
import json, os, sys, time
os.environ["FUSED_AUTH_TOKEN_TYPE"] = "Fused-Env-Bearer"
os.environ["FUSED_AUTH_TOKEN"] = sys.argv[2]
import fused
fused._env(sys.argv[1])
trivial, slow, calls, slow_calls = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])

def timed(fn):
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000

fused.run(trivial, n=-1)
out = {
    "uncached": [timed(lambda i=i: fused.run(trivial, n=i)) for i in range(calls)],
    "cached": [timed(lambda: fused.run(trivial, n=0)) for _ in range(calls)],
    "slow": [timed(lambda i=i: fused.run(slow, n=i)) for i in range(slow_calls)],
}
print(json.dumps(out))
`;

export async function benchOfficialClient(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write('\nThe official fused client (fused==2.9.5) against this server\n');
  const python = execFileSync(process.execPath, [join(ROOT, 'bin', 'udf-studio.js'), 'python', join(ROOT, 'scripts', 'conformance.py'), '--venv-only'], { env, encoding: 'utf8' }).trim().split('\n').pop() as string;
  const workspace = join(home, 'official-client');
  for (const [name, code] of Object.entries({
    Trivial: '@fused.udf\ndef udf(n: int = 0):\n    return {"n": n}\n',
    One_Second: '@fused.udf\ndef udf(n: int = 0):\n    import time\n    time.sleep(1)\n    return {"n": n}\n',
  })) {
    mkdirSync(join(workspace, name), { recursive: true });
    writeFileSync(join(workspace, name, `${name}.py`), code);
  }
  const server = await startEngineServer({ env: { ...env, UDF_STUDIO_HOME: join(home, 'official-client-home') }, workspaces: [workspace], port: 0, poolSize: 2, preload: [] });
  try {
    const trivial = server.services.tokens.create({ udfSlug: 'Trivial' }).token;
    const slow = server.services.tokens.create({ udfSlug: 'One_Second' }).token;
    // Asynchronously: the server answering the client runs in this process.
    const { stdout: output } = await execFileAsync(python, ['-c', SCRIPT, server.url, server.services.privateToken, trivial, slow, String(CALLS), String(SLOW_CALLS)], { encoding: 'utf8', env: { PATH: env.PATH ?? '' } });
    const figures = JSON.parse(output.trim().split('\n').pop() as string) as Record<'uncached' | 'cached' | 'slow', number[]>;
    const p50 = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? NaN;
    report(`fused.run("fsh_...") of a trivial UDF, new parameters each call, p50 (${CALLS})`, ms(p50(figures.uncached)), 'a worker run per call');
    report(`the same with the same parameters (result cache hit), p50 (${CALLS})`, ms(p50(figures.cached)), 'the client\'s own overhead');
    report(`fused.run("fsh_...") of a one-second UDF, p50 (${SLOW_CALLS})`, ms(p50(figures.slow)), 'seed: 1.7 s in the cloud');
  } finally {
    await server.close();
  }
}
