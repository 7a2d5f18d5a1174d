/**
 * Issue 16, points 6, 8, 19 and 20: a worker's pipes, its child processes and its lifetime.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../../src-shared/udf.js';
import { runtimePython } from '../../../src-main/engine/runtime/python-env.js';
import { RUNTIME_DIR } from '../../helpers/test-home.js';
import { inlineUdf, jsonOf, makePool, poolHomeForEachTest, runOf } from '../../helpers/pool.js';
import { isRunning, until } from '../../helpers/processes.js';

const ECHO = inlineUdf('Echo', '@fused.udf\ndef udf(i: int = 0):\n    import os\n    return {"i": i, "pid": os.getpid()}\n');

/** Starts children (one that leaves the process group), writes their pids to `out`, then sleeps. */
const PARENT = inlineUdf('Parent', `
import json, os, subprocess, sys, time
@fused.udf
def udf(out: str):
    plain = subprocess.Popen(["sleep", "600"])
    regrouped = subprocess.Popen(["sleep", "600"], process_group=0)
    with open(out + ".tmp", "w") as f:
        json.dump({"worker": os.getpid(), "children": [plain.pid, regrouped.pid]}, f)
    os.rename(out + ".tmp", out)
    time.sleep(600)
`);

/** Forks children that each allocate `mib` MiB and hold it `hold` seconds: together they pass the limit, alone none does. */
const FORK_BOMB = inlineUdf('Fork_Bomb', `
import json, os, time
@fused.udf
def udf(out: str, children: int = 4, mib: int = 150, hold: float = 600):
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            while not os.path.exists(out):  # allocate once the parent has said who we are
                time.sleep(0.01)
            block = bytearray(mib * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(hold)
            os._exit(0)
        pids.append(pid)
    with open(out + ".tmp", "w") as f:
        json.dump({"worker": os.getpid(), "children": pids}, f)
    os.rename(out + ".tmp", out)
    for pid in pids:
        os.waitpid(pid, 0)
    return len(pids)
`);

/**
 * Starts two processes that leave the worker's session: one in a session of its own, and a daemon
 * (a double fork: its own session, its parent gone) that holds `mib` MiB. Writes their pids, sleeps.
 */
const ESCAPER = inlineUdf('Escaper', `
import json, os, subprocess, time
@fused.udf
def udf(out: str, mib: int = 0):
    own_session = subprocess.Popen(["sleep", "600"], start_new_session=True)
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            while not os.path.exists(out):  # allocate once the run has said who we are
                time.sleep(0.01)
            block = bytearray(mib * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(600)
            os._exit(0)
        os._exit(0)
    os.close(write)
    daemon = int(os.read(read, 32))
    os.waitpid(middle, 0)
    with open(out + ".tmp", "w") as f:
        json.dump({"worker": os.getpid(), "children": [own_session.pid, daemon]}, f)
    os.rename(out + ".tmp", out)
    time.sleep(600)
`);

interface Pids { worker: number; children: number[] }

const { home, startPool } = poolHomeForEachTest();

function codeOf(outcome: RunOutcome): string | null {
  return outcome.ok ? null : outcome.error.code;
}

async function pidsWritten(path: string): Promise<Pids> {
  await until(() => existsSync(path), `the UDF to write ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Pids;
}

describe('worker pipes, children and lifetime (issue 16)', () => {
  it.each([
    ['closes', 'os.close(3)'],
    ['replaces', 'os.dup2(os.open(os.devnull, os.O_RDONLY), 3)'],
  ])('#6: a UDF that %s fd 3 (the request pipe) fails clearly, and the next run gets a new worker', async (_how, statement) => {
    const pool = await startPool({ size: 1 });
    const before = pool.workerPids()[0];
    const breaker = inlineUdf('Pipe_Breaker', `@fused.udf\ndef udf():\n    import os\n    ${statement}\n    return {"broke": 3}\n`);
    const broken = await pool.run(runOf(breaker));
    expect(codeOf(broken)).toBe('UDF_ERR_WORKER_CRASHED');
    expect(broken.ok ? '' : broken.error.message).toMatch(/request pipes \(fd 3, fd 5\)/);
    const next = jsonOf(await pool.run(runOf(ECHO, { i: 7 }))) as { i: number; pid: number };
    expect(next.i).toBe(7);
    expect(next.pid).not.toBe(before);
    expect(isRunning(before as number)).toBe(false);
  });

  it('a UDF that closes fd 4 (the answer pipe) in a run beside another fails, and the other run still answers', async () => {
    const pool = await startPool({ size: 1 });
    const breaker = inlineUdf('Answer_Breaker', '@fused.udf\ndef udf():\n    import os, time\n    time.sleep(0.5)\n    os.close(4)\n    return 1\n');
    const [broken, beside] = await Promise.all([pool.run(runOf(breaker)), pool.run(runOf(ECHO, { i: 3 }))]);
    expect(codeOf(broken)).toBe('UDF_ERR_WORKER_CRASHED');
    expect((jsonOf(beside) as { i: number }).i).toBe(3);
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 4 }))) as { i: number }).i).toBe(4);
  });

  it('#8: a kill ends the whole group: a UDF\'s subprocesses do not survive its worker', async () => {
    const pool = await startPool({ size: 1, timeoutMs: 3_000 });
    const out = join(home.root, 'pids.json');
    const [outcome, pids] = await Promise.all([pool.run(runOf(PARENT, { out })), pidsWritten(out)]);
    expect(codeOf(outcome)).toBe('UDF_ERR_TIMEOUT');
    await until(() => [pids.worker, ...pids.children].every((pid) => !isRunning(pid)), 'the worker and both children to end');
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 1 }))) as { i: number }).i).toBe(1);
  });

  it('#8: the memory limit counts the whole group: a fork bomb within bounds is stopped, and the next run works', async () => {
    const pool = await startPool({ size: 1, memoryLimitBytes: 400 * 1024 ** 2, timeoutMs: 30_000 });
    const out = join(home.root, 'pids.json');
    const [outcome, pids] = await Promise.all([pool.run(runOf(FORK_BOMB, { out })), pidsWritten(out)]);
    expect(codeOf(outcome)).toBe('UDF_ERR_MEMORY_LIMIT');
    expect(outcome.ok ? '' : outcome.error.message).toMatch(/over the limit of 400 MiB/);
    await until(() => [pids.worker, ...pids.children].every((pid) => !isRunning(pid)), 'the worker and its forks to end');
    // Alone, one child of the same size is within the limit.
    const single = jsonOf(await pool.run(runOf(FORK_BOMB, { out: join(home.root, 'one.json'), children: 1, mib: 100, hold: 0 })));
    expect(single).toBe(1);
  }, 60_000);

  it('#8: a kill ends what left the worker\'s session too: a setsid\'d child and a daemon (double fork)', async () => {
    const pool = await startPool({ size: 1, timeoutMs: 3_000 });
    const out = join(home.root, 'pids.json');
    const [outcome, pids] = await Promise.all([pool.run(runOf(ESCAPER, { out })), pidsWritten(out)]);
    expect(codeOf(outcome)).toBe('UDF_ERR_TIMEOUT');
    await until(() => [pids.worker, ...pids.children].every((pid) => !isRunning(pid)), 'the worker, the setsid\'d sleep and the daemon to end');
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 2 }))) as { i: number }).i).toBe(2);
  });

  it('#8: the memory limit counts a daemon (double fork, own session) a run started', async () => {
    const pool = await startPool({ size: 1, memoryLimitBytes: 300 * 1024 ** 2, timeoutMs: 30_000 });
    const out = join(home.root, 'pids.json');
    const [outcome, pids] = await Promise.all([pool.run(runOf(ESCAPER, { out, mib: 400 })), pidsWritten(out)]);
    expect(codeOf(outcome)).toBe('UDF_ERR_MEMORY_LIMIT');
    await until(() => [pids.worker, ...pids.children].every((pid) => !isRunning(pid)), 'the worker and the daemon to end');
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 3 }))) as { i: number }).i).toBe(3);
  }, 90_000);

  it('#8: a worker killed from outside takes with it the processes the engine last saw it hold', async () => {
    const pool = await startPool({ size: 1, timeoutMs: 60_000 });
    const out = join(home.root, 'pids.json');
    const running = pool.run(runOf(ESCAPER, { out, mib: 256 }));
    const pids = await pidsWritten(out);
    // The pool has read the daemon's memory (more than the worker alone holds): it has seen the whole tree.
    await until(() => (pool.load().perWorker[0]?.residentBytes ?? 0) > 256 * 1024 ** 2, 'the pool to count the daemon\'s memory');
    process.kill(pids.worker, 'SIGKILL');
    expect(codeOf(await running)).toBe('UDF_ERR_WORKER_CRASHED');
    await until(() => pids.children.every((pid) => !isRunning(pid)), 'the setsid\'d sleep and the daemon to end');
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 4 }))) as { i: number }).i).toBe(4);
  }, 90_000);

  it('#19: a worker and its children exit when their engine is killed, even in the middle of a run', async () => {
    const out = join(home.root, 'pids.json');
    const host = spawn(process.execPath, ['--input-type=module', '-e', hostScript(out)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    host.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const pids = await Promise.race([pidsWritten(out), new Promise<never>((_, reject) => host.once('exit', () => reject(new Error(`the host exited: ${stderr}`))))]);
    host.kill('SIGKILL');
    await until(() => [pids.worker, ...pids.children].every((pid) => !isRunning(pid)), 'the orphaned worker and its children to end');
    expect(isRunning(pids.worker)).toBe(false);
  });

  it('#20: close() rejects every run in flight with a coded error, runs that share a worker included', async () => {
    const pool = await startPool({ size: 1 });
    const waiting = inlineUdf('Waiting', '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(600)\n');
    const runs = [1, 2, 3, 4].map((i) => pool.run(runOf(waiting, { i })));
    await until(() => pool.load().running === 4, 'four runs to share the worker');
    await pool.close();
    const outcomes = await Promise.all(runs);
    expect(outcomes.map(codeOf)).toEqual(Array(4).fill('UDF_ERR_ENGINE_CLOSED'));
  });
});

/** A separate engine process (the built pool): a pool of one running PARENT, killed while the run goes on. */
function hostScript(out: string): string {
  const module = (path: string): string => JSON.stringify(pathToFileURL(join(process.cwd(), 'dist', path)).href);
  const options = { python: runtimePython(RUNTIME_DIR), cwd: home.root, env: makePool(home).environment, size: 1 };
  return `
import { WorkerPool } from ${module('src-main/engine/runtime/worker-pool.js')};
import { READABLE_DEFAULTS } from ${module('src-shared/formats.js')};
const pool = new WorkerPool(${JSON.stringify(options)});
await pool.start();
const request = { udf: ${JSON.stringify(PARENT)}, params: { out: ${JSON.stringify(out)} }, tile: null, formats: [], defaults: READABLE_DEFAULTS };
await pool.run(request);
`;
}
