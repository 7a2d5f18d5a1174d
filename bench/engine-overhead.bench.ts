/**
 * Warm overhead of a trivial UDF run through the engine's worker pool, next to the same function
 * called in-process in Python and a bare Node↔Python pipe round trip, plus the pool's cold start.
 */

import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Writable, Readable } from 'node:stream';
import { Engine } from '../src-main/engine/engine.js';
import { encodeFrame, FrameDecoder } from '../src-main/engine/runtime/frame-codec.js';
import { runCommand } from '../src-main/engine/runtime/command.js';
import { runtimePython } from '../src-main/engine/runtime/python-env.js';
import { makeSource } from '../src-main/engine/workspace/udf-folder.js';
import type { UdfFolder } from '../src-main/engine/workspace/udf-folder.js';
import { ms, report, summarise } from './stats.js';

const RUNS = 2_000;
const WARMUP = 200;
const TRIVIAL_CODE = '@fused.udf\ndef udf(n: int = 1):\n    return n\n';

export async function benchEngineOverhead(env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write('\nEngine: warm trivial run (cache off)\n');
  const size = availableParallelism();
  const coldStart = performance.now();
  const engine = await Engine.open({ env, poolSize: size, cache: false });
  report(`cold start: pool of ${size} workers ready`, ms(performance.now() - coldStart));
  try {
    const udf: UdfFolder = {
      kind: 'udf', name: 'Trivial', dir: '', udfType: 'auto', meta: null, readme: null, description: null,
      source: makeSource({ name: 'Trivial', path: null, dir: null, code: TRIVIAL_CODE, entrypoint: null, headers: [], metadata: {} }),
    };
    const { outcome: first } = await engine.run({ udf, formats: ['json'] });
    if (!first.ok) throw new Error(`trivial run failed: ${first.error.message}`);
    report('cold start: first run answered (after the pandas+numpy preload)', ms(performance.now() - coldStart));
    const samples: number[] = [];
    const inWorker: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const started = performance.now();
      const { outcome } = await engine.run({ udf, params: { n: i }, formats: ['json'] });
      const elapsed = performance.now() - started;
      if (!outcome.ok) throw new Error(`trivial run failed: ${outcome.error.message}`);
      if (i >= WARMUP) {
        samples.push(elapsed);
        inWorker.push(outcome.durationMs);
      }
    }
    const engineRuns = summarise(samples);
    const inProcess = await inProcessCallMs(runtimePython(engine.paths.runtime));
    const pipe = await pipeRoundTrip(runtimePython(engine.paths.runtime));
    report(`engine run, p50 (${RUNS} runs)`, ms(engineRuns.p50));
    report('engine run, p99', ms(engineRuns.p99));
    report('  of which in the worker (bind + call + encode), p50', ms(summarise(inWorker).p50));
    report('in-process Python call of the same function', ms(inProcess));
    report('overhead = engine p50 - in-process call', ms(engineRuns.p50 - inProcess), 'target < 0.5 ms');
    report('reference: bare Node<->Python pipe round trip, p50', ms(pipe.p50), `p99 ${ms(pipe.p99)}`);
  } finally {
    await engine.close();
  }
}

/** Mean time of calling the UDF's function directly in Python, in milliseconds. */
async function inProcessCallMs(python: string): Promise<number> {
  const script = `
import timeit
ns = {}
exec(${JSON.stringify(TRIVIAL_CODE.replace('@fused.udf\n', ''))}, ns)
f = ns["udf"]
n = 200000
print(timeit.timeit(lambda: f(1), number=n) / n * 1000)
`;
  const result = await runCommand(python, ['-c', script]);
  if (result.code !== 0) throw new Error(result.stderr);
  return Number(result.stdout.trim());
}

/** A Python process that echoes frames on fds 3/4: the floor any worker protocol sits on. */
async function pipeRoundTrip(python: string): Promise<ReturnType<typeof summarise>> {
  const echo = `
import os, struct
buf = b""
while True:
    while len(buf) < 8:
        chunk = os.read(3, 65536)
        if not chunk: raise SystemExit
        buf += chunk
    j, p = struct.unpack(">II", buf[:8])
    while len(buf) < 8 + j + p:
        buf += os.read(3, 65536)
    frame, buf = buf[:8 + j + p], buf[8 + j + p:]
    os.write(4, frame)
`;
  const child = spawn(python, ['-c', echo], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] });
  const requests = child.stdio[3] as Writable;
  const responses = child.stdio[4] as Readable;
  const decoder = new FrameDecoder();
  let waiting: (() => void) | null = null;
  responses.on('data', (chunk: Buffer) => {
    if (decoder.push(chunk).length > 0) waiting?.();
  });
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      waiting = resolve;
      requests.write(encodeFrame({ id: i, op: 'echo' }));
    });
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  requests.end();
  child.kill();
  return summarise(samples);
}
