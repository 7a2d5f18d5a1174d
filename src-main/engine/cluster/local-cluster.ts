/**
 * A Dask cluster on this machine (`udf-studio cluster local`, the tests, the benchmark): Dask's
 * own scheduler and N worker processes, from the runtime's Python, with UDF Studio's runtime
 * sources on their path so the workers can run UDF tasks.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter } from 'node:path';

/** How long the scheduler and each worker may take to come up. */
export const LOCAL_START_TIMEOUT_MS = 60_000;
/** How long a process may take to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

export interface LocalClusterOptions {
  python: string;
  /** The runtime's sources (resources/runtime), put on the workers' PYTHONPATH. */
  runtimeSources: string;
  env?: NodeJS.ProcessEnv;
  cwd: string;
  workers: number;
  /** Threads per worker: runs that wait (I/O, sleep) share a worker this many at a time. */
  threads: number;
  host?: string;
  /** The scheduler's port; 0 picks a free one. */
  port?: number;
  onLog?: (line: string) => void;
}

/** One process of the cluster. */
export interface LocalProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
}

export class LocalCluster {
  private constructor(readonly address: string, readonly scheduler: LocalProcess, readonly workers: LocalProcess[], private readonly options: LocalClusterOptions) {}

  /** Starts the scheduler, then the workers, and resolves once every worker has registered. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const env = { ...(options.env ?? process.env), PYTHONPATH: [options.runtimeSources, options.env?.PYTHONPATH].filter(Boolean).join(delimiter), PYTHONDONTWRITEBYTECODE: '1' };
    const host = options.host ?? '127.0.0.1';
    const scheduler = launch(options, env, ['-m', 'distributed.cli.dask_scheduler', '--host', host, '--port', String(options.port ?? 0), '--no-dashboard', '--no-show'], 'scheduler');
    let address: string;
    try {
      address = (await waitForLine(scheduler, /Scheduler at:\s+(\S+)/, 'the Dask scheduler'))[1] as string;
    } catch (error) {
      await stop(scheduler.process);
      throw error;
    }
    const cluster = new LocalCluster(address, scheduler.process, [], options);
    try {
      await Promise.all(Array.from({ length: options.workers }, () => cluster.addWorker()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Starts one more worker and resolves once it has registered with the scheduler. */
  async addWorker(): Promise<LocalProcess> {
    const env = { ...(this.options.env ?? process.env), PYTHONPATH: [this.options.runtimeSources, this.options.env?.PYTHONPATH].filter(Boolean).join(delimiter), PYTHONDONTWRITEBYTECODE: '1' };
    // No nanny: the process we start is the worker, so stopping or killing it is exact.
    const worker = launch(this.options, env, ['-m', 'distributed.cli.dask_worker', this.address, '--nthreads', String(this.options.threads), '--no-nanny', '--no-dashboard', '--host', this.options.host ?? '127.0.0.1'], `worker ${this.workers.length + 1}`);
    this.workers.push(worker.process);
    await waitForLine(worker, /Registered to:/, 'a Dask worker');
    return worker.process;
  }

  /** Stops the workers, then the scheduler (SIGTERM, then SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => stop(worker)));
    await stop(this.scheduler);
  }
}

interface Launched {
  process: LocalProcess;
  lines: (listener: (line: string) => void) => () => void;
}

function launch(options: LocalClusterOptions, env: NodeJS.ProcessEnv, args: string[], label: string): Launched {
  const child = spawn(options.python, ['-u', ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const listeners = new Set<(line: string) => void>();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        options.onLog?.(`${label}: ${line}`);
        for (const listener of listeners) listener(line);
      }
    });
  }
  return {
    process: { child, pid: child.pid ?? -1, exited },
    lines: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function waitForLine(launched: Launched, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} did not start within ${LOCAL_START_TIMEOUT_MS / 1000} s:\n${tail.join('\n')}`));
    }, LOCAL_START_TIMEOUT_MS);
    const unsubscribe = launched.lines((line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const match = pattern.exec(line);
      if (match) {
        done();
        resolve(match);
      }
    });
    void launched.process.exited.then(() => {
      done();
      reject(new Error(`${what} exited before it was ready:\n${tail.join('\n')}`));
    });
  });
}

async function stop(process: LocalProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  const timer = setTimeout(() => process.child.kill('SIGKILL'), STOP_GRACE_MS);
  await process.exited;
  clearTimeout(timer);
}
