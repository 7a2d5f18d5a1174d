/**
 * The engine: the home folder, the workspace, the worker pool and the result cache, wired together.
 *
 * The CLI, the server and the Electron shell all drive UDFs through this one object; it never
 * imports Electron, so it runs the same headless and in the app.
 */

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter } from 'node:path';
import { udfError, type MissingPackage } from '../../src-shared/errors.js';
import { READABLE_DEFAULTS } from '../../src-shared/formats.js';
import { DEFAULT_MAX_AGE_SECONDS, parseMaxAge } from '../../src-shared/max-age.js';
import type { RunFailure, RunOutcome, RunRequest, RunSuccess, UdfDescription } from '../../src-shared/udf.js';
import { resultCacheKey } from './cache/cache-key.js';
import { ResultCache, type CacheEntry, type CacheWrite, type ResultCacheOptions, type StorageProblem } from './cache/result-cache.js';
import { pauseHookFromEnv } from './cache/write-pause.js';
import { ClusterStore } from './cluster/cluster-config.js';
import { ClusterRuns } from './cluster/cluster-runs.js';
import { EngineEvents } from './events/engine-events.js';
import { ArchiveSources } from './export/archive-sources.js';
import { ExportManager } from './export/export-manager.js';
import { JobManager } from './jobs/job-manager.js';
import { homePaths, secureHome, type HomePaths } from './home.js';
import { resourcePaths, type ResourcePaths } from './resources.js';
import { requireFinishedSetup, runtimePython } from './runtime/python-env.js';
import { runtimeFingerprint } from './runtime/runtime-fingerprint.js';
import { existingWorkspaces, SettingsStore } from './settings.js';
import { ResourceOwner } from './resource-owner.js';
import { SharedRuns } from './shared-runs.js';
import { DEFAULT_TIMEOUT_MS, isNested, WorkerPool } from './runtime/worker-pool.js';
import { corruptDatabase, isCorruption, openDatabase, SERVING_BUSY_TIMEOUT_MS, type Db } from './store/database.js';
import { UdfIds } from './workspace/udf-ids.js';
import { seedWorkspace, Workspace } from './workspace/workspace.js';
import type { UdfFolder } from './workspace/udf-folder.js';
import type { EngineResult, EngineRun } from './engine-run.js';

/** Modules a long-running engine's workers import ahead of the first run. */
export const DEFAULT_PRELOAD = ['pandas', 'numpy'];

export interface EngineOptions {
  /** The home folder; `UDF_STUDIO_HOME` or ~/.udf-studio when absent. */
  home?: string;
  /** Workspace folders; the home's `udfs/` (seeded with the examples) when absent. */
  workspaces?: string[];
  poolSize?: number;
  timeoutMs?: number;
  memoryLimitBytes?: number;
  /** Modules each worker imports once it is ready. */
  preload?: string[];
  /** Result cache settings; `false` runs everything uncached. */
  cache?: ResultCacheOptions | false;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** The bus to report on; one is made when absent (a server shares its bus across engine restarts). */
  events?: EngineEvents;
}

export class Engine {
  /** Runs in progress by cache key: identical concurrent requests share one run. */
  private readonly inFlight = new SharedRuns();
  /** What storing each fresh outcome did, for every request that shared its run. */
  private readonly writes = new WeakMap<RunOutcome, CacheWrite>();
  /** The code key each UDF last ran with, to spot an edit and drop the old version's entries. */
  private readonly lastCodeKey = new Map<string, string>();
  /** Submit jobs: many runs of one UDF. */
  readonly jobs: JobManager;
  /** Tile archives baked from tile UDFs, as jobs. */
  readonly exports: ExportManager;
  /** The workspace's tile archives, served as tile sources. */
  readonly archives: ArchiveSources;

  private constructor(
    /** What changed, for the window's event stream and the CLI's progress bars. */
    readonly events: EngineEvents,
    readonly paths: HomePaths,
    readonly resources: ResourcePaths,
    readonly workspace: Workspace,
    readonly pool: WorkerPool,
    readonly db: Db,
    readonly cache: ResultCache | null,
    readonly udfIds: UdfIds,
    private readonly fingerprint: string,
    /** Runs on the configured Dask clusters. */
    readonly clusters: ClusterRuns,
    /** What the engine started, closed in reverse order by `close`. */
    private readonly owner: ResourceOwner,
  ) {
    this.jobs = owner.own('jobs', new JobManager(paths.jobs, (run) => this.run(run), this.events), (jobs) => jobs.close());
    this.exports = new ExportManager({
      jobs: this.jobs, run: (run) => this.run(run), resolveUdf: (name) => workspace.resolveName(name), describe: (udf) => this.describe(udf),
      udfId: (udf) => udfIds.idFor(udf), db, stagingRoot: paths.exports, baseFolder: () => workspace.folders[0] ?? paths.udfs, workers: pool.size,
    });
    this.archives = owner.own('archives', new ArchiveSources(() => workspace.folders), (archives) => archives.close());
  }

  /** Opens the engine: checks the runtime, prepares the home folder and starts the workers. */
  static async open(options: EngineOptions = {}): Promise<Engine> {
    const env = options.env ?? process.env;
    const paths = homePaths(env, options.home);
    const resources = resourcePaths(env);
    const python = runtimePython(paths.runtime);
    if (!existsSync(python)) {
      throw udfError('UDF_ERR_RUNTIME_MISSING', `no Python runtime at ${paths.runtime}; run "udf-studio setup" (npm install does it)`);
    }
    secureHome(paths);
    for (const dir of [paths.sharedDisk, paths.bucket]) mkdirSync(dir, { recursive: true });
    // The folders asked for, else the settings' (as serve and the window use), else the home's udfs/.
    const folders = options.workspaces?.length ? options.workspaces
      : existingWorkspaces(new SettingsStore(paths.settings).read().workspaces, paths.settings, options.log ?? (() => {})) ?? [paths.udfs];
    requireFinishedSetup(paths.runtime);
    if (!options.workspaces?.length) seedWorkspace(paths.udfs, resources.exampleUdfs);
    const workspace = new Workspace(folders);
    const owner = new ResourceOwner();
    try {
      return await Engine.start(options, env, paths, resources, python, workspace, owner);
    } catch (error) {
      await owner.close().catch(() => undefined); // the start's own error says what went wrong
      throw error;
    }
  }

  /** The parts of an engine, each registered with `owner` as it starts. */
  private static async start(options: EngineOptions, env: NodeJS.ProcessEnv, paths: HomePaths, resources: ResourcePaths, python: string, workspace: Workspace, owner: ResourceOwner): Promise<Engine> {
    // The engine serves from one event loop: it never waits long for another process's lock.
    const db = owner.own('database', openDatabase(paths.database, { busyTimeoutMs: SERVING_BUSY_TIMEOUT_MS }), (db) => {
      if (db.open) db.close();
    });
    const events = options.events ?? new EngineEvents();
    const cacheOptions = options.cache === false ? null : {
      ...cacheSizeFromEnv(env), ...pauseHookFromEnv(env), onProblem: reportStorage(events, options.log), ...(options.cache ?? {}),
    };
    let cache: ResultCache | null;
    try {
      cache = cacheOptions ? owner.own('cache', new ResultCache(db, paths.resultCache, cacheOptions), (opened) => opened.flush()) : null;
    } catch (error) {
      // Opening the cache reads its whole index: damage the open did not see shows here.
      throw isCorruption(error) ? corruptDatabase(paths.database, error as Error) : error;
    }
    const workerEnv: NodeJS.ProcessEnv = {
      ...env,
      UDF_STUDIO_HOME: paths.root,
      UDF_STUDIO_WORKSPACES: workspace.folders.join(delimiter),
      UDF_STUDIO_PRELOAD: (options.preload ?? DEFAULT_PRELOAD).join(','),
      // The app's own runtime sources win over whatever checkout the venv's .pth names.
      PYTHONPATH: [resources.runtime, env.PYTHONPATH].filter(Boolean).join(delimiter),
      PYTHONDONTWRITEBYTECODE: '1',
      // Tells the fused package it runs inside a worker, so fused.run does not call back over HTTP.
      UDF_STUDIO_WORKER: '1',
      // A nested run's wait for the engine follows the engine's own limit (`serve --timeout`).
      UDF_STUDIO_TIME_LIMIT_S: String((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000),
    };
    const pool = owner.own('workers', new WorkerPool({
      python,
      cwd: paths.root,
      env: workerEnv,
      ...(options.poolSize !== undefined ? { size: options.poolSize } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
      ...(options.log ? { onLog: options.log } : {}),
    }), (workers) => workers.close());
    await pool.start();
    // The bridge runs the same runtime sources as the workers; a lost or started scheduler is its business.
    const clusters = owner.own('clusters', new ClusterRuns(new ClusterStore(paths.clusters), { python, env: workerEnv, cwd: paths.root, ...(options.log ? { onLog: options.log } : {}) }), (runs) => runs.close());
    return new Engine(events, paths, resources, workspace, pool, db, cache, new UdfIds(db), runtimeFingerprint(paths.runtime, resources.runtime), clusters, owner);
  }

  /**
   * Called when a run fails on a missing package; resolves true once the package is installed (the
   * run is then repeated once). The server sets it from the auto-install setting; null: never.
   */
  missingPackages: ((missing: MissingPackage) => Promise<boolean>) | null = null;

  /**
   * Runs a UDF, answering from the result cache when it can. Failures of the UDF come back as a
   * failed outcome and are never cached.
   */
  async run(request: EngineRun): Promise<EngineResult> {
    const callMaxAge = request.cacheMaxAge === undefined || request.cacheMaxAge === null ? null : parseMaxAge(request.cacheMaxAge);
    const runRequest: RunRequest = {
      udf: request.udf.source,
      params: request.params ?? {},
      tile: request.tile ?? null,
      formats: request.formats ?? [],
      defaults: request.defaults ?? READABLE_DEFAULTS,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.depth ? { depth: request.depth } : {}),
      ...(request.hops ? { hops: request.hops } : {}),
      ...(request.context ? { context: request.context } : {}),
    };
    const once = (signal: AbortSignal | undefined): Promise<RunOutcome> => (request.cluster
      ? this.clusters.run(request.cluster, runRequest, signal)
      : this.inPool(runRequest, signal));
    const execute = async (signal: AbortSignal | undefined): Promise<RunOutcome> => {
      const outcome = await once(signal);
      const missing = outcome.ok || request.cluster ? undefined : outcome.error.missingPackage;
      // Installed meanwhile (the auto-install setting): run once more, in the same workers.
      return missing && this.missingPackages && (await this.missingPackages(missing)) ? once(signal) : outcome;
    };
    if (!this.cache || callMaxAge === 0) {
      const outcome = await execute(request.signal);
      return { outcome, cache: 'off', etag: outcome.ok ? digest(outcome.body) : null };
    }
    const key = resultCacheKey({ codeKey: runRequest.udf.key, runtimeFingerprint: this.fingerprint, params: runRequest.params, tile: runRequest.tile, formats: runRequest.formats, defaults: runRequest.defaults });
    const hit = this.cachedEntry(key, callMaxAge);
    if (hit) return { outcome: outcomeOf(hit), cache: 'hit', etag: hit.sha256, key, callMaxAge };

    const run = (signal: AbortSignal | undefined): Promise<RunOutcome> => execute(signal).then((outcome) => {
      // store() never throws: a cache that cannot write answers the run uncached.
      const write = outcome.ok ? this.store(key, request.udf, runRequest, outcome, callMaxAge) : null;
      if (write) this.writes.set(outcome, write);
      return outcome;
    });
    // A nested run never joins an identical run in flight: that run may be its own caller (a UDF
    // that calls itself back through a remote engine), which would wait for itself until the limit.
    const outcome = isNested(request) ? await run(request.signal) : await this.inFlight.join(key, run, request.signal);
    const write = this.writes.get(outcome);
    // A stored result's digest is its ETag: no second pass over the bytes.
    const etag = write?.stored ? write.entry.sha256 : outcome.ok ? digest(outcome.body) : null;
    return { outcome, cache: 'miss', etag, ...(write && !write.stored ? { cacheError: write.error } : {}) };
  }

  /** The cache entry a key names if it is fresh enough for a call's max age (the answer memo's check). */
  cachedEntry(key: string, callMaxAge: number | null): CacheEntry | null {
    return this.cache?.get(key, callMaxAge, DEFAULT_MAX_AGE_SECONDS) ?? null;
  }

  /**
   * One run in the worker pool under an id of its own, which its UDF's calls back to the engine
   * name: the jobs it starts end with it if it fails (JobManager.runEnded).
   */
  private async inPool(runRequest: RunRequest, signal: AbortSignal | undefined): Promise<RunOutcome> {
    const runId = randomUUID();
    this.jobs.runStarted(runId, runRequest.udf.name);
    let ok = false;
    try {
      const outcome = await this.pool.run({ ...runRequest, runId }, signal ? { signal } : {});
      ok = outcome.ok;
      return outcome;
    } finally {
      this.jobs.runEnded(runId, ok);
    }
  }

  /** Why results are not being cached (disk full, the index locked...), while they are not. */
  storageProblem(): StorageProblem | null {
    return this.cache?.storageProblem ?? null;
  }

  /** Loads a UDF's code and reports its parameters, or why it does not load. */
  describe(udf: UdfFolder): Promise<{ ok: true; description: UdfDescription } | RunFailure> {
    return this.pool.describe(udf.source);
  }

  /**
   * Serves other workspace folders from now on. Workers learn them (for `fused.load` by name) as
   * each is replaced once idle; a watcher, if any, must `follow`.
   */
  setWorkspaces(folders: readonly string[]): void {
    this.workspace.setFolders(folders);
    this.pool.renew({ ...this.pool.environment, UDF_STUDIO_WORKSPACES: this.workspace.folders.join(delimiter) });
  }

  /** Closes what it started, newest first: jobs, clusters, workers, the cache's writes, the database. */
  close(): Promise<void> {
    return this.owner.close();
  }

  /** Stores a successful run's result; null when its max age says not to. Never throws. */
  private store(key: string, udf: UdfFolder, request: RunRequest, outcome: RunSuccess, callMaxAge: number | null): CacheWrite | null {
    const cache = this.cache as ResultCache;
    let udfMaxAge: number | null;
    try {
      udfMaxAge = outcome.cacheMaxAge === null ? null : parseMaxAge(outcome.cacheMaxAge);
    } catch {
      udfMaxAge = null; // a max age the UDF declared badly falls back to the default
    }
    if ((callMaxAge ?? udfMaxAge ?? DEFAULT_MAX_AGE_SECONDS) === 0) return null;
    let udfId: string;
    try {
      udfId = this.udfIds.idFor(udf); // may write a new id: the same database, the same faults
    } catch (error) {
      return { stored: false, error: cache.fail(error, 'write') };
    }
    const write = cache.put({
      key, udfId, codeKey: request.udf.key, tile: request.tile, format: outcome.format, contentType: outcome.contentType,
      kind: outcome.kind, empty: outcome.empty, udfMaxAge, stdout: outcome.stdout, stderr: outcome.stderr,
      durationMs: outcome.durationMs, body: Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.byteLength),
    });
    if (write.stored && this.lastCodeKey.get(udfId) !== request.udf.key) {
      this.lastCodeKey.set(udfId, request.udf.key);
      // An edited UDF's old entries can never be reached again; remove them off the request path.
      setImmediate(() => {
        if (this.db.open) cache.guarded('write', () => cache.removeOtherVersions(udfId, request.udf.key));
      });
    }
    return write;
  }
}

/** Tells the log and the window when the cache starts or stops failing to store results. */
function reportStorage(events: EngineEvents, log: ((line: string) => void) | undefined): NonNullable<ResultCacheOptions['onProblem']> {
  return (problem, previous) => {
    if (problem) log?.(`warning: ${problem.code}: ${problem.message}`);
    else if (previous) log?.(`warning: the result cache stores results again (after ${previous.failures} failed write${previous.failures === 1 ? '' : 's'} since ${previous.since})`);
    events.emit({ type: 'storage', problem });
  };
}

/** `UDF_STUDIO_CACHE_SIZE` (bytes, or with K, M or G) sets the result cache's cap. */
function cacheSizeFromEnv(env: NodeJS.ProcessEnv): ResultCacheOptions {
  const text = env.UDF_STUDIO_CACHE_SIZE;
  if (!text) return {};
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!match?.[1]) throw udfError('UDF_ERR_USAGE', `UDF_STUDIO_CACHE_SIZE must be a size such as 500M or 2G, got "${text}"`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  return { capBytes: Math.round(Number(match[1]) * unit) };
}

function outcomeOf(entry: CacheEntry): RunSuccess {
  return {
    ok: true, format: entry.format, contentType: entry.contentType, kind: entry.kind, empty: entry.empty,
    cacheMaxAge: entry.udfMaxAge, stdout: entry.stdout, stderr: entry.stderr, durationMs: entry.durationMs, body: entry.body,
  };
}

function digest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}
