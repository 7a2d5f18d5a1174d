/**
 * The engine's side of one cluster bridge: a long-lived `python -m udf_studio_cluster ADDRESS`
 * process holding a Dask client (resources/runtime/udf_studio_cluster/bridge.py), spoken to with
 * the worker protocol's frames. Each run becomes one Dask task; answers arrive as tasks finish.
 */

import { udfError, UdfStudioError, type ErrorData } from '../../../src-shared/errors.js';
import type { RunOutcome, RunRequest } from '../../../src-shared/udf.js';
import { WorkerClient, WorkerExitedError } from '../runtime/worker-client.js';
import { toOutcome, toWire } from '../runtime/worker-pool.js';

/** Python's start plus the bridge's own 5 s connect timeout to the scheduler. */
export const BRIDGE_START_TIMEOUT_MS = 30_000;

export interface BridgeOptions {
  python: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  address: string;
  onLog?: (line: string) => void;
}

/** A run's outcome and, when it ran, the Dask worker it ran on (`ADDRESS pid N`). */
export type ClusterOutcome = RunOutcome & { worker?: string };

export class ClusterBridge {
  /** The bridge said its scheduler is gone: it answers what was waiting and exits; nothing new goes to it. */
  private lost = false;

  private constructor(private readonly client: WorkerClient, readonly address: string) {}

  /** Starts a bridge and waits until it is connected; UDF_ERR_CLUSTER_UNREACHABLE when the scheduler does not answer. */
  static async connect(options: BridgeOptions): Promise<ClusterBridge> {
    let started: Awaited<ReturnType<typeof WorkerClient.start>>;
    let bridge: ClusterBridge | null = null;
    try {
      started = await WorkerClient.start({
        onNotice: (header) => {
          if (header.op === 'lost' && bridge) bridge.lost = true;
        },
        python: options.python, env: options.env, cwd: options.cwd, module: 'udf_studio_cluster', args: [options.address],
        startTimeoutMs: BRIDGE_START_TIMEOUT_MS, onLog: (line) => options.onLog?.(`cluster bridge ${options.address}: ${line}`),
      });
    } catch (error) {
      throw udfError('UDF_ERR_CLUSTER_UNREACHABLE', `could not start the bridge to the Dask scheduler at ${options.address}: ${(error as Error).message}`);
    }
    const { worker, ready } = started;
    if (ready.ok !== true) {
      await worker.shutdown(500);
      const error = ready.error as Partial<ErrorData> | undefined;
      throw udfError('UDF_ERR_CLUSTER_UNREACHABLE', typeof error?.message === 'string' ? error.message : `the Dask scheduler at ${options.address} cannot be reached`);
    }
    bridge = new ClusterBridge(worker, options.address);
    return bridge;
  }

  get alive(): boolean {
    return this.client.alive && !this.lost;
  }

  /** Runs one request as a Dask task. Failures come back as a failed outcome, never as a throw. */
  async run(request: RunRequest, signal?: AbortSignal): Promise<ClusterOutcome> {
    if (signal?.aborted) return failed(udfError('UDF_ERR_CANCELLED', 'the run was cancelled').data);
    const depth = request.depth ?? 0;
    const { id, answer } = this.client.send({
      op: 'run', udf: toWire(request.udf), params: request.params, tile: request.tile, formats: request.formats, defaults: request.defaults,
      ...(depth > 0 ? { depth } : {}),
      ...(request.context ? { context: request.context } : {}),
    });
    const onAbort = (): void => this.client.notify({ op: 'cancel', target: id });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const frame = await answer;
      const outcome: ClusterOutcome = toOutcome(frame);
      if (typeof frame.header.worker === 'string') outcome.worker = frame.header.worker;
      return outcome;
    } catch (error) {
      if (error instanceof WorkerExitedError) {
        return failed({ code: 'UDF_ERR_CLUSTER_LOST', message: `the bridge to the Dask scheduler at ${this.address} stopped during the run; the runs that finished are kept` });
      }
      return failed(error instanceof UdfStudioError ? error.data : { code: 'UDF_ERR_CLUSTER_FAILED', message: (error as Error).message });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the Dask client and ends the process. */
  async close(): Promise<void> {
    await this.client.shutdown(3_000);
  }
}

function failed(error: ErrorData): ClusterOutcome {
  return { ok: false, stdout: '', stderr: '', durationMs: 0, error };
}
