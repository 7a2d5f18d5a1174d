/**
 * Runs on the configured Dask clusters: one bridge process per scheduler address, started on first
 * use and started again after it stopped (a scheduler lost mid-job ends its bridge, so the next
 * job connects afresh and says at once whether the scheduler is back).
 */

import { UdfStudioError } from '../../../src-shared/errors.js';
import type { RunRequest } from '../../../src-shared/udf.js';
import { ClusterBridge, type BridgeOptions, type ClusterOutcome } from './cluster-bridge.js';
import { ClusterStore } from './cluster-config.js';

export class ClusterRuns {
  private readonly bridges = new Map<string, Promise<ClusterBridge>>();
  private closed = false;

  constructor(readonly store: ClusterStore, private readonly options: Omit<BridgeOptions, 'address'>) {}

  /** The connected bridge of cluster `name`: UDF_ERR_CLUSTER_UNKNOWN or UDF_ERR_CLUSTER_UNREACHABLE otherwise. */
  async connect(name: string): Promise<ClusterBridge> {
    const { address } = this.store.get(name);
    const existing = this.bridges.get(address);
    if (existing) {
      const bridge = await existing.catch(() => null);
      if (bridge?.alive) return bridge;
      if (this.bridges.get(address) === existing) this.bridges.delete(address);
    }
    let starting = this.bridges.get(address);
    if (!starting) {
      starting = ClusterBridge.connect({ ...this.options, address });
      this.bridges.set(address, starting);
      // A failed connect is not kept: the next call tries again.
      starting.catch(() => {
        if (this.bridges.get(address) === starting) this.bridges.delete(address);
      });
    }
    const bridge = await starting;
    if (this.closed) await bridge.close();
    return bridge;
  }

  /** Runs one request on cluster `name`; failures (the cluster's too) come back as a failed outcome. */
  async run(name: string, request: RunRequest, signal?: AbortSignal): Promise<ClusterOutcome> {
    let bridge: ClusterBridge;
    try {
      bridge = await this.connect(name);
    } catch (error) {
      const data = error instanceof UdfStudioError ? error.data : { code: 'UDF_ERR_CLUSTER_UNREACHABLE' as const, message: (error as Error).message };
      return { ok: false, stdout: '', stderr: '', durationMs: 0, error: data };
    }
    return bridge.run(request, signal);
  }

  /** Stops every bridge (their Dask clients close; the clusters keep running). */
  async close(): Promise<void> {
    this.closed = true;
    const bridges = [...this.bridges.values()];
    this.bridges.clear();
    await Promise.all(bridges.map(async (starting) => (await starting.catch(() => null))?.close()));
  }
}
