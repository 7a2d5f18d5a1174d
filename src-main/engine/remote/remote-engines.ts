/**
 * The server's side of remote engines: which UDFs the window's engine switch sends to a remote
 * (kept in SQLite), and runs proxied there with the local result cache in front, by the same rules
 * as local runs: the call's max age, else 90 days; `cache_max_age=0` skips it; failures are never
 * stored. So a map client keeps one local URL (a shared token's tile URL) whichever engine serves it.
 */

import { createHash } from 'node:crypto';
import { udfError } from '../../../src-shared/errors.js';
import { HTTP_DEFAULTS } from '../../../src-shared/formats.js';
import { DEFAULT_MAX_AGE_SECONDS, parseMaxAge } from '../../../src-shared/max-age.js';
import { resultCacheKey } from '../cache/cache-key.js';
import type { CacheWrite, ResultCache } from '../cache/result-cache.js';
import type { RunOutcome } from '../../../src-shared/udf.js';
import type { EngineResult } from '../engine-run.js';
import type { EngineEvents } from '../events/engine-events.js';
import type { Db } from '../store/database.js';
import { RemoteClient } from './remote-client.js';
import type { RemoteStore } from './remote-config.js';
import { runOnRemote, type RemoteRun } from './remote-runs.js';
import { RemoteWatch } from './remote-watch.js';
import { SharedRuns } from '../shared-runs.js';
import { isNested } from '../runtime/worker-pool.js';

/** Cache keys of proxied runs use this in place of the local runtime's fingerprint. */
const REMOTE_FINGERPRINT = 'remote';

export class RemoteEngines {
  private readonly upsertBinding;
  private readonly deleteBinding;
  /** Identical proxied runs in flight share one remote call (a map asks for a tile several times). */
  private readonly inFlight = new SharedRuns();
  /** What storing each fresh outcome did, for every request that shared its run. */
  private readonly writes = new WeakMap<RunOutcome, CacheWrite>();
  /** The switch's settings, read once: every shared-token request asks, so it stays off the disk. */
  private readonly bound = new Map<string, string>();
  /** Changes made on remotes that are UDF Studio servers, as `remote` events on the bus. */
  readonly watch: RemoteWatch;

  constructor(readonly store: RemoteStore, db: Db, private readonly cache: ResultCache | null, events: EngineEvents) {
    this.watch = new RemoteWatch(store, events);
    this.upsertBinding = db.prepare('INSERT INTO udf_engines (udf_name, remote) VALUES (?, ?) ON CONFLICT (udf_name) DO UPDATE SET remote = excluded.remote');
    this.deleteBinding = db.prepare('DELETE FROM udf_engines WHERE udf_name = ?');
    for (const row of db.prepare('SELECT udf_name, remote FROM udf_engines').all() as Array<{ udf_name: string; remote: string }>) this.bound.set(row.udf_name, row.remote);
  }

  /** The remote a UDF's runs go to, or null when they run locally. */
  boundRemote(udfName: string): string | null {
    return this.bound.get(udfName) ?? null;
  }

  /** Sends a UDF's runs to `remote` (checked to exist), or back to the local engine with null. */
  bind(udfName: string, remote: string | null): void {
    if (remote === null) {
      this.deleteBinding.run(udfName);
      this.bound.delete(udfName);
      return;
    }
    this.store.get(remote);
    this.upsertBinding.run(udfName, remote);
    this.bound.set(udfName, remote);
  }

  /** Forgets a remote: its UDFs go back to the local engine and its changes are no longer followed. */
  forget(remote: string): void {
    for (const [name, bound] of this.bound) if (bound === remote) this.bind(name, null);
    this.watch.drop(remote);
  }

  close(): void {
    this.watch.close();
  }

  bindings(): Array<{ name: string; remote: string }> {
    return [...this.bound].sort(([a], [b]) => a.localeCompare(b)).map(([name, remote]) => ({ name, remote }));
  }

  /**
   * Runs on a remote with the local cache in front. `cacheId` files the results under a UDF id, so
   * invalidating that UDF (or one of its tiles) drops them too.
   */
  async run(remoteName: string, cacheId: string, request: RemoteRun): Promise<EngineResult> {
    const client = new RemoteClient(this.store.get(remoteName));
    // This hop is one more level there: engines switched to each other reach the depth limit even
    // when no UDF's own call counts. It is a hop too, so the remote still queues and shares the run
    // as a top-level one when no UDF's run waits on it (recursion.ts).
    const run: RemoteRun = { ...request, depth: (request.depth ?? 0) + 1, hops: (request.hops ?? 0) + 1 };
    const callMaxAge = run.cacheMaxAge === undefined || run.cacheMaxAge === null ? null : parseMaxAge(run.cacheMaxAge);
    if (!this.cache || callMaxAge === 0) {
      const outcome = await runOnRemote(client, run);
      return { outcome, cache: 'off', etag: outcome.ok ? digest(outcome.body) : null };
    }
    const key = resultCacheKey({
      codeKey: `${client.remote.url}|${targetKey(run)}`, runtimeFingerprint: REMOTE_FINGERPRINT,
      params: run.params ?? {}, tile: run.tile ?? null, formats: run.formats ?? [], defaults: HTTP_DEFAULTS,
    });
    const hit = this.cache.get(key, callMaxAge, DEFAULT_MAX_AGE_SECONDS);
    if (hit) {
      return {
        outcome: { ok: true, format: hit.format, contentType: hit.contentType, kind: hit.kind, empty: hit.empty, cacheMaxAge: null, stdout: hit.stdout, stderr: hit.stderr, durationMs: hit.durationMs, body: hit.body },
        cache: 'hit', etag: hit.sha256,
      };
    }
    const cache = this.cache;
    const start = (signal: AbortSignal | undefined): Promise<RunOutcome> => runOnRemote(client, { ...run, ...(signal ? { signal } : {}) }).then((outcome) => {
      // put() never throws: a cache that cannot write answers the run uncached.
      if (outcome.ok) {
        this.writes.set(outcome, cache.put({
          key, udfId: cacheId, codeKey: client.remote.url, tile: run.tile ?? null, format: outcome.format, contentType: outcome.contentType,
          kind: outcome.kind, empty: outcome.empty, udfMaxAge: null, stdout: outcome.stdout, stderr: outcome.stderr, durationMs: outcome.durationMs,
          body: Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.byteLength),
        }));
      }
      return outcome;
    });
    // A nested run never joins a flight: the one in flight may be its own caller (a UDF that calls
    // back through a switched UDF), which would then wait for itself until the time limit. A run
    // whose clients all went away closes its requests to the remote, which stops it there.
    const outcome = isNested(request) ? await start(run.signal) : await this.inFlight.join(key, start, run.signal);
    const write = this.writes.get(outcome);
    return { outcome, cache: 'miss', etag: outcome.ok ? digest(outcome.body) : null, ...(write && !write.stored ? { cacheError: write.error } : {}) };
  }
}

/** The cache id of a remote UDF that has no local folder. */
export function remoteCacheId(name: string): string {
  if (!name) throw udfError('UDF_ERR_BAD_REQUEST', 'a remote UDF needs a name');
  return `remote:${name}`;
}

function targetKey(run: RemoteRun): string {
  const { target } = run;
  if (target.kind === 'saved') return `saved:${target.name}`;
  if (target.kind === 'token') return `token:${target.token}`;
  return `code:${target.udf.key}`;
}

function digest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}
