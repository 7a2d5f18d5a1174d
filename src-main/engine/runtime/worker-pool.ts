/**
 * A pool of warm Python workers behind one queue, with a time and memory limit on every run.
 *
 * Each worker starts with one run at a time. When its runs wait (I/O, sleep, a UDF they called)
 * rather than compute, as its CPU time shows, it is given more, up to
 * {@link MAX_RUNS_PER_WORKER}: waiting jobs go far past the CPU count while CPU-bound ones stay at
 * one per worker. A run nested in another (depth > 0, beyond the proxy hops it came through) starts
 * at once whatever the load, since the run that called it holds a worker while it waits: a pool of
 * one cannot deadlock.
 *
 * A worker that crashes, hangs past the limit or grows past the memory limit is killed; the run to
 * blame fails with a clear error, runs that shared the worker are run again, and a replacement
 * starts, so the runs queued behind it still succeed. The memory limit and a kill apply to the
 * worker's whole group: every process its runs started (process-group.ts).
 *
 * A run of a UDF whose runs are quick may also be queued behind the one a busy worker is running,
 * on the same pipe, when no worker is free: the worker then starts it the moment the other ends,
 * without waiting for the engine to hear of the end and send the next. That round trip costs more
 * than a quick run itself. A slow run ahead would hold it up, so only runs whose UDF took under
 * {@link QUICK_RUN_MS} last time, and that have not taken that long yet, get one queued behind them.
 */

import { availableParallelism } from 'node:os';
import { udfError, isErrorCode, UdfStudioError, type ErrorData, type MissingPackage } from '../../../src-shared/errors.js';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import type { RunFailure, RunOutcome, RunRequest, UdfDescription, UdfSource } from '../../../src-shared/udf.js';
import { groupBytes } from './memory-probe.js';
import { descendants, groupMembers } from './process-group.js';
import { WorkerClient, WorkerExitedError, type WorkerExit } from './worker-client.js';
import type { Frame } from './frame-codec.js';

/** The hosted realtime engine's limit, which UDFs are written for. */
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;
/** Runs one worker may have at once when they wait; with the CPU count of workers, Fused's 32. */
export const MAX_RUNS_PER_WORKER = 16;
/** A run of a UDF whose last run took less than this may have another queued behind it. */
export const QUICK_RUN_MS = 5;
/** UDFs whose last run's duration is remembered (the most recent ones). */
const RECENT_UDFS = 256;
/** How long a cancelled run may take to stop before its worker is killed. */
export const CANCEL_GRACE_MS = 2_000;
/** How often busy workers' memory and CPU time are sampled. */
const SAMPLE_MS = 100;
/**
 * Every this many samples, busy workers' whole groups are listed (one pass over the process table);
 * in between, each sample follows the worker's children, which is cheaper.
 */
const GROUP_SCAN_SAMPLES = 20;
/** The status of a worker whose protocol pipes a UDF closed or replaced (worker_main.py). */
const PIPES_BROKEN_STATUS = 86;
/** Below this share of one core, with no thread ready to run, a busy worker's runs are waiting. */
const WAITING_CPU_SHARE = 0.25;
/** A waiting worker's allowance grows this many times per sample (1, 4, 16). */
const GROWTH = 4;
/** Workers that fail to start in a row before the pool stops trying and fails the queue. */
const START_FAILURE_LIMIT = 3;
/** How the worker's own log lines on stderr begin (worker_main.py's `log`). */
const WORKER_LOG_PREFIX = 'udf_studio_worker: ';

export interface PoolOptions {
  python: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  size?: number;
  timeoutMs?: number;
  memoryLimitBytes?: number;
  onLog?: (line: string) => void;
}

/** What a caller may add to a run: a way to cancel it. */
export interface RunControl {
  signal?: AbortSignal;
}

/**
 * Whether a run was started by another UDF's run, which waits on it: its depth counts more than
 * the proxy hops it came through (engines that forwarded a top-level request hold no worker).
 */
export function isNested(run: { depth?: number; hops?: number }): boolean {
  return (run.depth ?? 0) > (run.hops ?? 0);
}

interface Task {
  message: Record<string, unknown>;
  timeoutMs: number;
  /** Started by another run (depth > 0): never waits for a free worker. */
  nested: boolean;
  /** Runs alone in its worker (after a crash that could have been another run's). */
  solo: boolean;
  /** Ever ran beside another run in the same worker. */
  shared: boolean;
  /** Queued in a busy worker behind its run, not started yet: innocent of whatever ends the worker. */
  behind: boolean;
  /** When it started (sent to its worker, or the run ahead of it ended), for `performance.now()`. */
  startedAt: number;
  /** Sent on its worker's main pipe, whose runs the worker takes one after another. */
  mainPipe: boolean;
  requeued: number;
  signal: AbortSignal | undefined;
  /** Answered or failed: nothing may settle it again (a close and the worker's answer can race). */
  settled: boolean;
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
  /** While running: the worker's id for it, its slot and its timers. */
  requestId: number;
  slot: Slot | null;
  timers: NodeJS.Timeout[];
  /** The worker's stderr line count when the run was sent: later lines may be the run's. */
  stderrMark: number;
  /** Why the pool killed the worker, when this run is to blame. */
  killedFor: ErrorData | null;
  /** The worker was killed for another run: this one goes back in the queue. */
  innocent: boolean;
  onAbort: (() => void) | null;
}

interface Slot {
  worker: WorkerClient | null;
  tasks: Set<Task>;
  /** How many runs this worker may have at once now. */
  allowance: number;
  /** The last CPU time sample (seconds of CPU, at a monotonic time in ms). */
  cpu: { seconds: number; at: number } | null;
  probing: boolean;
  /** A memory reading is under way (on a crowded machine one can take longer than a sample). */
  measuring: boolean;
  residentBytes: number;
  /** The other processes of the worker's group at the last full scan (what its runs started). */
  members: number[];
  /** The worker is a child subreaper: its tree holds its whole group, and no full scan is needed. */
  treeHoldsGroup: boolean;
  /** Why the worker was killed when no single run is to blame (memory shared by several). */
  killedForAll: ErrorData | null;
  /** The environment generation the worker was started with (see `renew`). */
  generation: number;
}

/** The pool. `run` and `describe` queue work; `close` stops every worker. */
export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private readonly timeoutMs: number;
  private readonly memoryLimitBytes: number;
  private startFailures = 0;
  private lastStartError: UdfStudioError | null = null;
  private closed = false;
  private sampleTimer: NodeJS.Timeout | null = null;
  private samples = 0;
  private scanning = false;
  private readonly starting = new Set<Promise<void>>();
  /** Workers being replaced after `renew`, shutting down once idle. */
  private readonly retiring = new Set<Promise<unknown>>();
  /** The environment new workers start with; `renew` changes it and bumps the generation. */
  private env: NodeJS.ProcessEnv;
  private generation = 0;
  /** The duration of each recent UDF's last run, by its code's key: which runs are quick. */
  private readonly lastRunMs = new Map<string, number>();

  constructor(private readonly options: PoolOptions) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.memoryLimitBytes = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.env = options.env;
    this.slots = Array.from({ length: this.size }, () => ({
      worker: null, tasks: new Set<Task>(), allowance: 1, cpu: null, probing: false, measuring: false, residentBytes: 0, members: [], treeHoldsGroup: false, killedForAll: null, generation: 0,
    }));
  }

  /** Starts every worker; resolves when all are ready (or have failed to start). */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startWorker(slot)));
    if (this.slots.every((slot) => slot.worker === null)) {
      throw this.startError('no worker could start');
    }
  }

  /** Runs a UDF. UDF errors, crashes, limits and cancels come back as a failed outcome, never as a throw. */
  async run(request: RunRequest, control: RunControl = {}): Promise<RunOutcome> {
    const depth = request.depth ?? 0;
    const message = {
      op: 'run',
      udf: toWire(request.udf),
      params: request.params,
      tile: request.tile,
      formats: request.formats,
      defaults: request.defaults,
      ...(depth > 0 ? { depth } : {}),
      ...(request.context ? { context: request.context } : {}),
      ...(request.runId ? { runId: request.runId } : {}),
    };
    const started = performance.now();
    try {
      const frame = await this.submit(message, request.timeoutMs ?? this.timeoutMs, isNested(request), control.signal);
      return toOutcome(frame);
    } catch (error) {
      return failure(asErrorData(error), performance.now() - started);
    }
  }

  /** Loads a UDF's code in a worker and reports its signature, or the error that stops it loading. */
  async describe(udf: UdfSource): Promise<{ ok: true; description: UdfDescription } | RunFailure> {
    const started = performance.now();
    try {
      const frame = await this.submit({ op: 'describe', udf: toWire(udf) }, this.timeoutMs, false, undefined);
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

  /** Runs in progress and waiting, and the workers' memory: for the window and the benchmarks. */
  load(): { running: number; queued: number; perWorker: { pid: number; running: number; behind: number; allowance: number; residentBytes: number }[] } {
    const perWorker = this.slots.flatMap((slot) => {
      if (!slot.worker?.alive) return [];
      const behind = queuedBehind(slot) ? 1 : 0;
      return [{ pid: slot.worker.pid, running: slot.tasks.size - behind, behind, allowance: slot.allowance, residentBytes: slot.residentBytes }];
    });
    const sum = (count: (worker: (typeof perWorker)[number]) => number) => perWorker.reduce((total, worker) => total + count(worker), 0);
    return { running: sum((worker) => worker.running), queued: this.queue.length + sum((worker) => worker.behind), perWorker };
  }

  /** The environment workers start with. */
  get environment(): NodeJS.ProcessEnv {
    return this.env;
  }

  /**
   * Starts workers with a new environment from now on (the workspace folders changed): each worker
   * is replaced as soon as it is idle, so no run in progress is interrupted.
   */
  renew(env: NodeJS.ProcessEnv): void {
    this.env = env;
    this.generation += 1;
    for (const slot of this.slots) this.replaceIfStale(slot);
  }

  /** Stops every worker and fails every run not answered yet, queued or in progress. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    const running = this.slots.flatMap((slot) => [...slot.tasks]);
    for (const task of [...this.queue.splice(0), ...running]) this.settle(task, closedError());
    await Promise.all([...this.starting]);
    await Promise.all([...this.slots.map((slot) => slot.worker?.shutdown()), ...this.retiring]);
  }

  private submit(message: Record<string, unknown>, timeoutMs: number, nested: boolean, signal: AbortSignal | undefined): Promise<Frame> {
    if (this.closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(cancelledError());
    return new Promise((resolve, reject) => {
      const task: Task = {
        message, timeoutMs, nested, solo: false, shared: false, behind: false, startedAt: 0, mainPipe: false, requeued: 0, stderrMark: 0, signal, settled: false, resolve, reject,
        requestId: -1, slot: null, timers: [], killedFor: null, innocent: false, onAbort: null,
      };
      if (signal) {
        task.onAbort = () => this.cancel(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let index = 0; index < this.queue.length && this.hasRoom(); ) {
      const task = this.queue[index] as Task;
      const slot = this.pick(task);
      const ahead = slot ? null : this.slotToQueueBehind(task);
      if (!slot && !ahead) {
        index += 1;
        continue;
      }
      this.queue.splice(index, 1);
      if (slot) this.execute(slot, task, false);
      else this.execute(ahead as Slot, task, true);
    }
    if (this.queue.length > 0 && this.startFailures >= START_FAILURE_LIMIT && this.slots.every((s) => !s.worker?.alive)) {
      const error = this.startError('workers fail to start');
      for (const task of this.queue.splice(0)) this.settle(task, error);
    }
  }

  /** Whether any queued run could start now (so dispatch stops scanning a long queue early). */
  private hasRoom(): boolean {
    return this.slots.some((slot) => slot.worker?.alive) && (this.queue.some((task) => task.nested)
      || this.slots.some((slot) => (slot.worker?.alive && !hasSolo(slot) && slot.tasks.size < slot.allowance) || this.canQueueBehind(slot)));
  }

  /** The worker a queued run goes to now, or null when it must wait. */
  private pick(task: Task): Slot | null {
    const alive = this.slots.filter((slot) => slot.worker?.alive);
    const idle = alive.find((slot) => slot.tasks.size === 0);
    if (task.solo) return idle ?? null;
    if (idle) return idle;
    const open = alive.filter((slot) => !hasSolo(slot));
    const candidates = task.nested ? (open.length > 0 ? open : alive) : open.filter((slot) => slot.tasks.size < slot.allowance);
    let best: Slot | null = null;
    for (const slot of candidates) if (!best || slot.tasks.size < best.tasks.size) best = slot;
    return best;
  }

  /**
   * The busy worker a queued run can wait in, behind the one run it has: that run's UDF was quick
   * last time and has not been slow yet this time. Only when no worker has room (`pick`).
   */
  private slotToQueueBehind(task: Task): Slot | null {
    if (task.solo || task.nested) return null;
    return this.slots.find((slot) => this.canQueueBehind(slot)) ?? null;
  }

  private canQueueBehind(slot: Slot): boolean {
    if (!slot.worker?.alive || slot.allowance !== 1 || slot.tasks.size !== 1) return false;
    const ahead = slot.tasks.values().next().value as Task;
    const last = this.lastRunMs.get(udfKey(ahead.message));
    return ahead.mainPipe && !ahead.solo && !ahead.settled && last !== undefined && last < QUICK_RUN_MS && performance.now() - ahead.startedAt < QUICK_RUN_MS;
  }

  /** Sends a run to its worker: to start now, or `behind` the one run the worker has. */
  private execute(slot: Slot, task: Task, behind: boolean): void {
    const worker = slot.worker as WorkerClient;
    if (slot.tasks.size === 0) slot.cpu = null;
    slot.tasks.add(task);
    if (!behind && slot.tasks.size > 1) for (const other of slot.tasks) other.shared = true;
    task.slot = slot;
    task.killedFor = null;
    task.innocent = false;
    task.behind = behind;
    // No CPU probe here: a worker that just became busy gets its baseline at the next sample, so
    // runs shorter than a sample (most of them) never cost a second round trip.
    this.sampleBusyWorkers();
    if (!behind) this.begin(task, worker);
    const { id, answer, mainPipe } = worker.send(task.message, behind);
    task.requestId = id;
    task.mainPipe = mainPipe;
    answer.then(
      (frame) => {
        this.noteDuration(task, frame);
        this.leave(slot, task);
        const next = task.mainPipe ? queuedBehind(slot) : undefined;
        if (next) this.begin(next, worker);
        this.settle(task, null, frame);
        this.dispatch();
      },
      (error: unknown) => {
        this.leave(slot, task);
        if (task.killedFor) this.settle(task, new UdfStudioError(task.killedFor));
        else if ((task.innocent || task.behind) && !task.signal?.aborted) this.requeue(task, false);
        else if (task.shared && task.requeued === 0 && !task.signal?.aborted) this.requeue(task, true);
        else this.settle(task, slot.killedForAll ? new UdfStudioError(slot.killedForAll) : crashError(error, task));
        // The exit handler installed at start replaces the worker and dispatches again.
      },
    );
  }

  /** The run starts in its worker now: its time limit runs from here, and stderr lines from here are its. */
  private begin(task: Task, worker: WorkerClient): void {
    task.behind = false;
    task.startedAt = performance.now();
    task.stderrMark = worker.stderrMark;
    task.timers.push(setTimeout(() => {
      if (task.slot) this.kill(task.slot, task, { code: 'UDF_ERR_TIMEOUT', message: `the run took longer than ${formatSeconds(task.timeoutMs)} and was stopped` });
    }, task.timeoutMs));
  }

  private noteDuration(task: Task, frame: Frame): void {
    const duration = frame.header.durationMs;
    if (typeof duration !== 'number' || task.message.op !== 'run') return;
    const key = udfKey(task.message);
    this.lastRunMs.delete(key);
    this.lastRunMs.set(key, duration);
    if (this.lastRunMs.size > RECENT_UDFS) this.lastRunMs.delete(this.lastRunMs.keys().next().value as string);
  }

  /** A run that lost its worker through no fault of its own goes to the front of the queue. */
  private requeue(task: Task, solo: boolean): void {
    if (this.closed) {
      this.settle(task, closedError());
      return;
    }
    task.requeued += 1;
    task.solo = solo;
    this.queue.unshift(task);
  }

  private leave(slot: Slot, task: Task): void {
    for (const timer of task.timers) clearTimeout(timer);
    task.timers = [];
    task.slot = null;
    slot.tasks.delete(task);
    if (slot.tasks.size === 0) {
      slot.allowance = 1;
      this.replaceIfStale(slot);
    }
  }

  /** An idle worker started before the last `renew` makes way for one with the new environment. */
  private replaceIfStale(slot: Slot): void {
    const worker = slot.worker;
    if (this.closed || !worker || slot.tasks.size > 0 || slot.generation === this.generation) return;
    slot.worker = null;
    const retired = worker.shutdown().finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
    void this.startWorker(slot);
  }

  private settle(task: Task, error: Error | null, frame?: Frame): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (error) task.reject(error);
    else task.resolve(frame as Frame);
  }

  /** Cancels a run: dropped from the queue, or stopped in its worker (killed after a grace period). */
  private cancel(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(task, cancelledError());
      return;
    }
    const slot = task.slot;
    if (!slot?.worker) return;
    slot.worker.notify({ op: 'cancel', target: task.requestId });
    // Not started: the worker answers it cancelled when it comes to it, and nothing needs killing.
    if (task.behind) this.settle(task, cancelledError());
    else task.timers.push(setTimeout(() => this.kill(slot, task, cancelledError().data), CANCEL_GRACE_MS));
  }

  /** Kills a worker for one run's sake; the others it was running go back in the queue. */
  private kill(slot: Slot, culprit: Task, reason: ErrorData): void {
    if (!slot.tasks.has(culprit)) return;
    culprit.killedFor = reason;
    for (const other of slot.tasks) if (other !== culprit) other.innocent = true;
    slot.worker?.kill();
  }

  private startWorker(slot: Slot): Promise<void> {
    const generation = this.generation;
    const attempt = WorkerClient.start({ python: this.options.python, env: this.env, cwd: this.options.cwd, onLog: this.options.onLog && ((line) => this.options.onLog?.(line)) }).then(
      ({ worker, ready }) => {
        this.startFailures = 0;
        if (this.closed) {
          void worker.shutdown();
          return;
        }
        slot.worker = worker;
        slot.allowance = 1;
        slot.cpu = null;
        slot.members = [];
        slot.treeHoldsGroup = ready.subreaper === true;
        slot.killedForAll = null;
        slot.generation = generation;
        void worker.exited.then(() => this.onWorkerExit(slot, worker));
        this.replaceIfStale(slot);
        this.dispatch();
      },
      (error: unknown) => {
        this.startFailures += 1;
        this.lastStartError = error instanceof UdfStudioError ? error : udfError('UDF_ERR_WORKER_START', (error as Error).message);
        this.options.onLog?.(`worker failed to start: ${this.lastStartError.message}`);
        if (!this.closed && this.startFailures < START_FAILURE_LIMIT) return this.startWorker(slot);
        this.dispatch();
      },
    );
    this.starting.add(attempt);
    return attempt.finally(() => this.starting.delete(attempt));
  }

  /** The coded error of workers that do not start: the interpreter missing, or a worker failing before it is ready. */
  private startError(what: string): UdfStudioError {
    const last = this.lastStartError;
    return udfError(last?.code ?? 'UDF_ERR_WORKER_START', `${what}: ${last?.message ?? 'no reason given'}`);
  }

  private onWorkerExit(slot: Slot, worker: WorkerClient): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (!this.closed) void this.startWorker(slot);
  }

  /** Samples busy workers' memory (the limit) and CPU time (waiting or working) while runs are in flight. */
  private sampleBusyWorkers(): void {
    if (this.sampleTimer) return;
    this.sampleTimer = setInterval(() => {
      const busy = this.slots.filter((slot) => slot.tasks.size > 0 && slot.worker?.alive);
      if (busy.length === 0 && this.sampleTimer) {
        clearInterval(this.sampleTimer);
        this.sampleTimer = null;
        return;
      }
      if (this.samples++ % GROUP_SCAN_SAMPLES === 0) this.scanGroups(busy.filter((slot) => !slot.treeHoldsGroup));
      for (const slot of busy) {
        this.checkMemory(slot, slot.worker as WorkerClient);
        this.checkCpu(slot, slot.worker as WorkerClient);
      }
    }, SAMPLE_MS);
    this.sampleTimer.unref();
  }

  /** Lists what busy workers' runs started, for the memory limit (one pass over the process table). */
  private scanGroups(busy: Slot[]): void {
    if (this.scanning || busy.length === 0 || !Number.isFinite(this.memoryLimitBytes)) return;
    this.scanning = true;
    const workers = busy.map((slot) => slot.worker as WorkerClient);
    void groupMembers(workers.map((worker) => worker.pid)).then(
      (groups) => {
        this.scanning = false;
        for (const [index, slot] of busy.entries()) {
          const worker = workers[index] as WorkerClient;
          if (slot.worker === worker) slot.members = (groups.get(worker.pid) ?? []).filter((pid) => pid !== worker.pid);
        }
      },
      () => {
        this.scanning = false;
      },
    );
  }

  private checkMemory(slot: Slot, worker: WorkerClient): void {
    if (!Number.isFinite(this.memoryLimitBytes) || slot.measuring) return;
    slot.measuring = true;
    const reading = (async () => {
      const group = [...new Set([...descendants(worker.pid), ...slot.members])];
      await worker.noteGroup(group);
      return groupBytes(group);
    })();
    void reading.catch(() => null).then((bytes) => {
      slot.measuring = false;
      if (bytes === null || slot.worker !== worker) return;
      slot.residentBytes = bytes;
      if (bytes <= this.memoryLimitBytes || slot.tasks.size === 0) return;
      const reason: ErrorData = {
        code: 'UDF_ERR_MEMORY_LIMIT',
        message: `the run used ${formatBytes(bytes)}, over the limit of ${formatBytes(this.memoryLimitBytes)}, and was stopped`,
      };
      const running = [...slot.tasks].filter((task) => !task.behind);
      if (running.length === 1) {
        this.kill(slot, running[0] as Task, reason);
      } else {
        // Several runs share the memory: each runs again alone, and the one to blame fails then.
        slot.killedForAll = reason;
        worker.kill();
      }
    });
  }

  /** Grows a worker's allowance while its runs wait; CPU-bound runs keep it at one. */
  private checkCpu(slot: Slot, worker: WorkerClient): void {
    if (slot.probing || hasSolo(slot)) return;
    slot.probing = true;
    worker.request({ op: 'load' }).then(
      (frame) => {
        slot.probing = false;
        const seconds = Number(frame.header.cpuSeconds);
        const now = performance.now();
        if (slot.worker !== worker || !Number.isFinite(seconds)) return;
        const previous = slot.cpu;
        slot.cpu = { seconds, at: now };
        if (!previous || slot.tasks.size === 0) return;
        const share = (seconds - previous.seconds) / ((now - previous.at) / 1000);
        // A thread running or ready to run is computing, however little CPU a crowded machine gave it.
        const runnable = typeof frame.header.runnableThreads === 'number' ? frame.header.runnableThreads : 0;
        const waiting = share < WAITING_CPU_SHARE && runnable === 0;
        const roomy = slot.residentBytes < this.memoryLimitBytes / 2;
        if (waiting && roomy && slot.tasks.size >= slot.allowance) {
          slot.allowance = Math.min(MAX_RUNS_PER_WORKER, slot.allowance * GROWTH);
          this.dispatch();
        } else if (!waiting) {
          slot.allowance = 1;
        }
      },
      () => {
        slot.probing = false;
      },
    );
  }
}

/** The run queued in a worker behind the one it is running, if any. */
function queuedBehind(slot: Slot): Task | undefined {
  for (const task of slot.tasks) if (task.behind) return task;
  return undefined;
}

function udfKey(message: Record<string, unknown>): string {
  const udf = message.udf as { key?: unknown } | undefined;
  return typeof udf?.key === 'string' ? udf.key : '';
}

function hasSolo(slot: Slot): boolean {
  for (const task of slot.tasks) if (task.solo) return true;
  return false;
}

function closedError(): UdfStudioError {
  return udfError('UDF_ERR_ENGINE_CLOSED', 'the engine is shutting down');
}

function cancelledError(): UdfStudioError {
  return udfError('UDF_ERR_CANCELLED', 'the run was cancelled');
}

/** The UDF as docs/worker-protocol.md spells it (header fields in snake case, as in meta.json). */
export function toWire(udf: UdfSource): Record<string, unknown> {
  return { ...udf, headers: udf.headers.map((header) => ({ module_name: header.moduleName, path: header.path, code: header.code })) };
}

export function toOutcome(frame: Frame): RunOutcome {
  const h = frame.header;
  const log = { stdout: typeof h.stdout === 'string' ? h.stdout : '', stderr: typeof h.stderr === 'string' ? h.stderr : '', durationMs: Number(h.durationMs ?? 0) };
  if (h.ok === true) {
    return { ok: true, ...log, format: h.format as Format, contentType: String(h.contentType), kind: h.kind as ResultKind, empty: h.empty === true || h.kind === 'empty',
      cacheMaxAge: typeof h.cacheMaxAge === 'string' || typeof h.cacheMaxAge === 'number' ? h.cacheMaxAge : null, body: frame.payload };
  }
  const raw = (h.error ?? {}) as Record<string, unknown>;
  const error: ErrorData = {
    code: isErrorCode(raw.code) ? raw.code : 'UDF_ERR_RUNTIME',
    message: typeof raw.message === 'string' ? raw.message : 'the worker reported an error without a message',
  };
  if (typeof raw.exceptionClass === 'string') error.exceptionClass = raw.exceptionClass;
  if (typeof raw.file === 'string') error.file = raw.file;
  if (typeof raw.line === 'number') error.line = raw.line;
  if (typeof raw.traceback === 'string') error.traceback = raw.traceback;
  const missing = checkedMissingPackage(raw.missingPackage);
  if (missing) error.missingPackage = missing;
  return { ok: false, ...log, error };
}

/** The worker's `missingPackage` object, if it has the documented shape. */
function checkedMissingPackage(raw: unknown): MissingPackage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = raw as Record<string, unknown>;
  if (typeof value.module !== 'string' || typeof value.package !== 'string' || typeof value.requirement !== 'string') return null;
  return {
    module: value.module, package: value.package, requirement: value.requirement,
    fusedVersion: typeof value.fusedVersion === 'string' ? value.fusedVersion : null,
    inFusedImage: value.inFusedImage === true,
  };
}

function failure(error: ErrorData, durationMs: number): RunFailure {
  return { ok: false, stdout: '', stderr: '', durationMs, error };
}

function crashError(error: unknown, task: Task): UdfStudioError {
  if (error instanceof WorkerExitedError) return udfError('UDF_ERR_WORKER_CRASHED', describeExit(error.exit, task));
  return udfError('UDF_ERR_WORKER_CRASHED', `the worker failed: ${(error as Error).message}`);
}

function describeExit(exit: WorkerExit, task: Task): string {
  if (exit.code === PIPES_BROKEN_STATUS) {
    return 'the UDF closed or replaced the worker\'s request pipes (fd 3, fd 5) or answer pipe (fd 4), so the worker had to stop; '
      + 'a UDF must leave file descriptors 3, 4 and 5 open';
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${String(exit.code)}`;
  const output = runStderr(exit, task);
  const tail = output ? `; its last output:\n${output}` : '';
  return `the worker running the UDF ${how} (the UDF crashed the process)${tail}`;
}

/**
 * What the crashed run itself wrote to the worker's stderr (a fatal error's report): only lines
 * written since it was sent, and only when it ran alone, so no other run's output and nothing the
 * worker logged earlier reaches its caller (who may be an anonymous token holder). The worker's
 * own lines are its log's, not the run's.
 */
function runStderr(exit: WorkerExit, task: Task): string {
  if (task.shared && !task.solo) return '';
  const own = exit.stderrLines.slice(Math.max(0, task.stderrMark - exit.stderrFirst));
  return own.filter((line) => !line.startsWith(WORKER_LOG_PREFIX)).join('\n').trim();
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
