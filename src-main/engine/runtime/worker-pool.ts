/**
 * A pool of warm Python workers behind one queue, with a time and memory limit on every run.
 *
 * A worker that crashes, hangs past the limit or grows past the memory limit is killed; its run
 * fails with a clear error and a replacement starts, so the runs queued behind it still succeed.
 */

import { availableParallelism } from 'node:os';
import { udfError, isErrorCode, UdfStudioError, type ErrorData } from '../../../src-shared/errors.js';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import type { RunFailure, RunOutcome, RunRequest, UdfDescription, UdfSource } from '../../../src-shared/udf.js';
import { residentBytes } from './memory-probe.js';
import { WorkerClient, WorkerExitedError, type WorkerExit } from './worker-client.js';
import type { Frame } from './frame-codec.js';

/** The hosted realtime engine's limit, which UDFs are written for. */
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;
/** How often running workers' memory is sampled. */
const MEMORY_POLL_MS = 100;
/** Workers that fail to start in a row before the pool stops trying and fails the queue. */
const START_FAILURE_LIMIT = 3;

export interface PoolOptions {
  python: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  size?: number;
  timeoutMs?: number;
  memoryLimitBytes?: number;
  onLog?: (line: string) => void;
}

interface Task {
  message: Record<string, unknown>;
  timeoutMs: number;
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: WorkerClient | null;
  task: Task | null;
  /** Why the running task's worker was killed, when the pool killed it. */
  killedFor: ErrorData | null;
}

/** The pool. `run` and `describe` queue work; `close` stops every worker. */
export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private readonly timeoutMs: number;
  private readonly memoryLimitBytes: number;
  private startFailures = 0;
  private lastStartError = '';
  private closed = false;
  private memoryTimer: NodeJS.Timeout | null = null;
  private readonly starting = new Set<Promise<void>>();

  constructor(private readonly options: PoolOptions) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.memoryLimitBytes = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.slots = Array.from({ length: this.size }, () => ({ worker: null, task: null, killedFor: null }));
  }

  /** Starts every worker; resolves when all are ready (or have failed to start). */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startWorker(slot)));
    if (this.slots.every((slot) => slot.worker === null)) {
      throw udfError('UDF_ERR_RUNTIME_MISSING', `no worker could start: ${this.lastStartError}`);
    }
  }

  /** Runs a UDF. UDF errors, crashes and limits come back as a failed outcome, never as a throw. */
  async run(request: RunRequest): Promise<RunOutcome> {
    const message = {
      op: 'run',
      udf: toWire(request.udf),
      params: request.params,
      tile: request.tile,
      formats: request.formats,
      defaults: request.defaults,
    };
    const started = performance.now();
    try {
      const frame = await this.submit(message, request.timeoutMs ?? this.timeoutMs);
      return toOutcome(frame);
    } catch (error) {
      return failure(asErrorData(error), performance.now() - started);
    }
  }

  /** Loads a UDF's code in a worker and reports its signature, or the error that stops it loading. */
  async describe(udf: UdfSource): Promise<{ ok: true; description: UdfDescription } | RunFailure> {
    const started = performance.now();
    try {
      const frame = await this.submit({ op: 'describe', udf: toWire(udf) }, this.timeoutMs);
      const header = frame.header;
      if (header.ok !== true) return toOutcome(frame) as RunFailure;
      return {
        ok: true,
        description: {
          entrypoint: String(header.entrypoint),
          takesKwargs: header.takesKwargs === true,
          tileParam: typeof header.tileParam === 'string' ? header.tileParam : null,
          parameters: Array.isArray(header.parameters) ? (header.parameters as UdfDescription['parameters']) : [],
          cacheMaxAge: (header.cacheMaxAge as string | number | null | undefined) ?? null,
        },
      };
    } catch (error) {
      return failure(asErrorData(error), performance.now() - started);
    }
  }

  /** Process ids of the live workers (for diagnostics and tests). */
  workerPids(): number[] {
    return this.slots.flatMap((slot) => (slot.worker?.alive ? [slot.worker.pid] : []));
  }

  /** Stops every worker and fails whatever is still queued. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    for (const task of this.queue.splice(0)) task.reject(udfError('UDF_ERR_ENGINE_CLOSED', 'the engine is shutting down'));
    await Promise.all([...this.starting]);
    await Promise.all(this.slots.map((slot) => slot.worker?.shutdown()));
  }

  private submit(message: Record<string, unknown>, timeoutMs: number): Promise<Frame> {
    if (this.closed) return Promise.reject(udfError('UDF_ERR_ENGINE_CLOSED', 'the engine is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ message, timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task || !slot.worker?.alive) continue;
      this.execute(slot, this.queue.shift() as Task);
    }
    if (this.queue.length > 0 && this.startFailures >= START_FAILURE_LIMIT && this.slots.every((s) => !s.worker?.alive)) {
      const error = udfError('UDF_ERR_RUNTIME_MISSING', `workers fail to start: ${this.lastStartError}`);
      for (const task of this.queue.splice(0)) task.reject(error);
    }
  }

  private execute(slot: Slot, task: Task): void {
    const worker = slot.worker as WorkerClient;
    slot.task = task;
    slot.killedFor = null;
    this.watchMemory();
    const timer = setTimeout(() => {
      slot.killedFor = { code: 'UDF_ERR_TIMEOUT', message: `the run took longer than ${formatSeconds(task.timeoutMs)} and was stopped` };
      worker.kill();
    }, task.timeoutMs);
    worker.request(task.message).then(
      (frame) => {
        clearTimeout(timer);
        slot.task = null;
        task.resolve(frame);
        this.dispatch();
      },
      (error: unknown) => {
        clearTimeout(timer);
        slot.task = null;
        task.reject(slot.killedFor ? new UdfStudioError(slot.killedFor) : crashError(error));
        // The exit handler installed at start replaces the worker and dispatches again.
      },
    );
  }

  private startWorker(slot: Slot): Promise<void> {
    const attempt = WorkerClient.start({ python: this.options.python, env: this.options.env, cwd: this.options.cwd, onLog: this.options.onLog && ((line) => this.options.onLog?.(line)) }).then(
      ({ worker }) => {
        this.startFailures = 0;
        if (this.closed) {
          void worker.shutdown();
          return;
        }
        slot.worker = worker;
        void worker.exited.then(() => this.onWorkerExit(slot, worker));
        this.dispatch();
      },
      (error: Error) => {
        this.startFailures += 1;
        this.lastStartError = error.message;
        this.options.onLog?.(`worker failed to start: ${error.message}`);
        if (!this.closed && this.startFailures < START_FAILURE_LIMIT) return this.startWorker(slot);
        this.dispatch();
      },
    );
    this.starting.add(attempt);
    return attempt.finally(() => this.starting.delete(attempt));
  }

  private onWorkerExit(slot: Slot, worker: WorkerClient): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (!this.closed) void this.startWorker(slot);
  }

  /** Samples the memory of busy workers while any run is in flight. */
  private watchMemory(): void {
    if (this.memoryTimer || !Number.isFinite(this.memoryLimitBytes)) return;
    this.memoryTimer = setInterval(() => {
      const busy = this.slots.filter((slot) => slot.task && slot.worker?.alive);
      if (busy.length === 0 && this.memoryTimer) {
        clearInterval(this.memoryTimer);
        this.memoryTimer = null;
        return;
      }
      for (const slot of busy) {
        const worker = slot.worker as WorkerClient;
        void residentBytes(worker.pid).then((bytes) => {
          if (bytes !== null && bytes > this.memoryLimitBytes && slot.worker === worker && slot.task) {
            slot.killedFor = {
              code: 'UDF_ERR_MEMORY_LIMIT',
              message: `the run used ${formatBytes(bytes)}, over the limit of ${formatBytes(this.memoryLimitBytes)}, and was stopped`,
            };
            worker.kill();
          }
        });
      }
    }, MEMORY_POLL_MS);
    this.memoryTimer.unref();
  }
}

/** The UDF as docs/worker-protocol.md spells it (header fields in snake case, as in meta.json). */
function toWire(udf: UdfSource): Record<string, unknown> {
  return { ...udf, headers: udf.headers.map((header) => ({ module_name: header.moduleName, path: header.path, code: header.code })) };
}

function toOutcome(frame: Frame): RunOutcome {
  const h = frame.header;
  const log = { stdout: String(h.stdout ?? ''), stderr: String(h.stderr ?? ''), durationMs: Number(h.durationMs ?? 0) };
  if (h.ok === true) {
    return { ok: true, ...log, format: h.format as Format, contentType: String(h.contentType), kind: h.kind as ResultKind, empty: h.empty === true || h.kind === 'empty',
      cacheMaxAge: typeof h.cacheMaxAge === 'string' || typeof h.cacheMaxAge === 'number' ? h.cacheMaxAge : null, body: frame.payload };
  }
  const raw = (h.error ?? {}) as Record<string, unknown>;
  const error: ErrorData = {
    code: isErrorCode(raw.code) ? raw.code : 'UDF_ERR_RUNTIME',
    message: String(raw.message ?? 'the worker reported an error without a message'),
  };
  if (typeof raw.exceptionClass === 'string') error.exceptionClass = raw.exceptionClass;
  if (typeof raw.file === 'string') error.file = raw.file;
  if (typeof raw.line === 'number') error.line = raw.line;
  if (typeof raw.traceback === 'string') error.traceback = raw.traceback;
  return { ok: false, ...log, error };
}

function failure(error: ErrorData, durationMs: number): RunFailure {
  return { ok: false, stdout: '', stderr: '', durationMs, error };
}

function crashError(error: unknown): UdfStudioError {
  if (error instanceof WorkerExitedError) return udfError('UDF_ERR_WORKER_CRASHED', describeExit(error.exit));
  return udfError('UDF_ERR_WORKER_CRASHED', `the worker failed: ${(error as Error).message}`);
}

function describeExit(exit: WorkerExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${String(exit.code)}`;
  const tail = exit.stderrTail.trim() ? `; its last output:\n${exit.stderrTail.trim()}` : '';
  return `the worker running the UDF ${how} (the UDF crashed the process)${tail}`;
}

function asErrorData(error: unknown): ErrorData {
  if (error instanceof UdfStudioError) return error.data;
  return { code: 'UDF_ERR_WORKER_CRASHED', message: (error as Error).message };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
