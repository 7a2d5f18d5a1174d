/**
 * One long-lived Python worker process and the requests in flight to it.
 *
 * The worker's side is resources/runtime/udf_studio_worker/worker_main.py; the wire format is in
 * docs/worker-protocol.md. Requests go out on the child's fd 3 and answers come back on fd 4, so
 * the UDF's own prints can never corrupt the channel. The worker also reads a side pipe, fd 5: a
 * run sent while none is in progress goes on fd 3, which its main thread reads and serves itself;
 * everything sent while runs are in progress (more runs, `load`, `cancel`) goes on fd 5.
 *
 * Each worker leads a process group of its own (see process-group.ts): a kill ends it with every
 * process its runs started, and when it exits, however it exits, whatever it left running is ended:
 * its session, and the processes last seen in its tree (a worker killed from outside leaves its
 * tree to init).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { udfError } from '../../../src-shared/errors.js';
import { encodeFrame, FrameDecoder, type Frame } from './frame-codec.js';
import { GROUPS, killGroup, killTree, SeenProcesses } from './process-group.js';

/** How long a new worker may take to say `ready` (importing the runtime package). */
export const WORKER_START_TIMEOUT_MS = 60_000;
/** Lines of the worker's own stderr kept to explain a crash. */
const STDERR_TAIL_LINES = 20;

export interface WorkerOptions {
  python: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * The module `python -m` runs and its arguments. The default, `udf_studio_worker`, reads the side
   * pipe; another module (the cluster bridge) reads fd 3 alone.
   */
  module?: string;
  args?: string[];
  /** How long the process may take to say `ready` (default {@link WORKER_START_TIMEOUT_MS}). */
  startTimeoutMs?: number;
  /** Frames that answer no request (the cluster bridge's `lost`). */
  onNotice?: (header: Record<string, unknown>) => void;
  /** The worker's own log lines (fd 1 and 2 outside of runs). */
  onLog?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** How a worker process ended. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote to stderr: a segfault or a fatal error shows here. */
  stderrTail: string;
  /** The same lines one by one, and the number (see {@link WorkerClient.stderrMark}) of the first. */
  stderrLines: readonly string[];
  stderrFirst: number;
}

interface Pending {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
  /** A run or describe: the worker has it in progress until it answers. */
  serving: boolean;
}

/** Raised for requests in flight when the worker process goes away. */
export class WorkerExitedError extends Error {
  constructor(readonly exit: WorkerExit) {
    super(`worker exited (${exit.signal ? `signal ${exit.signal}` : `status ${String(exit.code)}`})`);
    this.name = 'WorkerExitedError';
  }
}

/** A started worker process. Create with {@link startWorker}. */
export class WorkerClient {
  readonly exited: Promise<WorkerExit>;
  readonly pid: number;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();
  private readonly stderrTail: string[] = [];
  /** Lines read from stderr so far: the number the next line will have. */
  private stderrCount = 0;
  private nextId = 1;
  /** Runs and describes sent and not answered yet. */
  private serving = 0;
  /** The process has exited (its group is being ended; `exited` resolves after). */
  private ended = false;
  /** Its group as last seen (noteGroup), ended with it in case it dies before it could end them. */
  private readonly seen = new SeenProcesses();

  private constructor(
    private readonly child: ChildProcess, private readonly requests: Writable, private readonly side: Writable | null, responses: Readable, private readonly options: WorkerOptions,
  ) {
    this.pid = child.pid ?? -1;
    responses.on('data', (chunk: Buffer) => this.onData(chunk));
    // A closed pipe surfaces as the child's exit.
    requests.on('error', () => {});
    side?.on('error', () => {});
    readLines(child.stdout, (line) => options.onLog?.(line, 'stdout'));
    readLines(child.stderr, (line) => {
      this.pushStderr(line);
      options.onLog?.(line, 'stderr');
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.ended = true;
        // No process outlives its worker; and meanwhile stderr drains so the tail explains the exit.
        const drained = new Promise((drain) => setImmediate(drain));
        const group = Promise.all([killGroup(this.pid), this.seen.kill()]).catch(() => undefined);
        void Promise.all([group, drained]).then(() => {
          const exit: WorkerExit = { code, signal, stderrTail: this.stderrTail.join('\n'), stderrLines: [...this.stderrTail], stderrFirst: this.stderrCount - this.stderrTail.length };
          const error = new WorkerExitedError(exit);
          for (const request of this.pending.values()) request.reject(error);
          this.pending.clear();
          resolve(exit);
        });
      });
    });
  }

  /**
   * Spawns the worker and waits for its `ready` frame. Fails with UDF_ERR_RUNTIME_MISSING when
   * the interpreter is not there, else UDF_ERR_WORKER_START (it exited or hung before it was ready).
   */
  static start(options: WorkerOptions): Promise<{ worker: WorkerClient; ready: Record<string, unknown> }> {
    const sidePipe = options.module === undefined;
    const child = spawn(options.python, ['-u', '-m', options.module ?? 'udf_studio_worker', ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', ...(sidePipe ? ['pipe' as const] : [])],
      // A session of its own: the worker's group is everything its runs start (process-group.ts).
      detached: GROUPS,
    });
    const requests = child.stdio[3] as Writable;
    const responses = child.stdio[4] as Readable;
    const pipes: readonly unknown[] = child.stdio;
    const worker = new WorkerClient(child, requests, sidePipe ? pipes[5] as Writable : null, responses, options);
    const startTimeoutMs = options.startTimeoutMs ?? WORKER_START_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.kill();
        reject(udfError('UDF_ERR_WORKER_START', `the worker did not start within ${startTimeoutMs / 1000} s`));
      }, startTimeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(udfError(missing ? 'UDF_ERR_RUNTIME_MISSING' : 'UDF_ERR_WORKER_START', `could not start the worker (${options.python}): ${error.message}`));
      });
      worker.pending.set(0, {
        serving: false,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve({ worker, ready: frame.header });
        },
        reject: (error) => {
          clearTimeout(timer);
          const tail = error instanceof WorkerExitedError && error.exit.stderrTail ? `:\n${error.exit.stderrTail}` : '';
          reject(udfError('UDF_ERR_WORKER_START', `the worker exited before it was ready${tail}`));
        },
      });
    });
  }

  /** The number the next stderr line will have: lines from here on were written after this moment. */
  get stderrMark(): number {
    return this.stderrCount;
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Sends one request and resolves with the worker's answer to it. */
  request(message: Record<string, unknown>): Promise<Frame> {
    return this.send(message).answer;
  }

  /**
   * Sends one request; its id (to name it in a later `cancel`) and the answer to come. A run goes
   * to the main thread's pipe when the worker is idle, or `behind` the run it has there (started
   * when that one ends); else to the side pipe, where it gets a thread of its own.
   */
  send(message: Record<string, unknown>, behind = false): { id: number; answer: Promise<Frame>; mainPipe: boolean } {
    const id = this.nextId++;
    const serving = message.op === 'run' || message.op === 'describe';
    const mainPipe = serving && (this.serving === 0 || behind);
    if (!this.alive) return { id, answer: this.exited.then((exit) => Promise.reject(new WorkerExitedError(exit))), mainPipe };
    const pipe = mainPipe ? this.requests : this.side ?? this.requests;
    if (serving) this.serving += 1;
    const answer = new Promise<Frame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, serving });
      pipe.write(encodeFrame({ ...message, id }));
    });
    return { id, answer, mainPipe };
  }

  /** Sends a message that has no answer (`cancel`). */
  notify(message: Record<string, unknown>): void {
    if (this.alive) (this.side ?? this.requests).write(encodeFrame(message));
  }

  /** Asks the worker to exit, and kills it if it has not within `graceMs`. */
  async shutdown(graceMs = 2_000): Promise<WorkerExit> {
    if (this.alive) {
      (this.side ?? this.requests).write(encodeFrame({ op: 'shutdown' }));
      this.requests.end();
      this.side?.end();
      const timer = setTimeout(() => this.kill(), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }

  /** Notes the processes of its group now (the pool's memory readings list them). */
  noteGroup(pids: readonly number[]): Promise<void> {
    return this.seen.note(pids);
  }

  /** Ends the process and its group at once (a hung or runaway UDF). */
  kill(): void {
    if (!this.alive) return;
    if (!GROUPS) {
      this.child.kill('SIGKILL');
      return;
    }
    void killTree(this.pid).catch(() => this.child.kill('SIGKILL'));
  }

  private pushStderr(line: string): void {
    this.stderrCount += 1;
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.pushStderr(`engine: unreadable answer from the worker: ${(error as Error).message}`);
      this.kill();
      return;
    }
    for (const frame of frames) {
      // The ready frame has no id; it answers the start request registered as 0.
      const id = frame.header.op === 'ready' ? 0 : frame.header.id;
      const request = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!request) {
        this.options.onNotice?.(frame.header);
        continue;
      }
      this.pending.delete(id as number);
      if (request.serving) this.serving -= 1;
      request.resolve(frame);
    }
  }
}

function readLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
  });
}
