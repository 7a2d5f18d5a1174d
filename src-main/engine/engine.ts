/**
 * The engine: the home folder, the workspace and the worker pool, wired together.
 *
 * The CLI, the server and the Electron shell all drive UDFs through this one object; it never
 * imports Electron, so it runs the same headless and in the app.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { delimiter } from 'node:path';
import { udfError } from '../../src-shared/errors.js';
import { READABLE_DEFAULTS, type Format, type ResultKind } from '../../src-shared/formats.js';
import type { RunFailure, RunOutcome, UdfDescription } from '../../src-shared/udf.js';
import type { Tile } from '../../src-shared/tiles.js';
import { homePaths, type HomePaths } from './home.js';
import { resourcePaths, type ResourcePaths } from './resources.js';
import { runtimePython } from './runtime/python-env.js';
import { WorkerPool } from './runtime/worker-pool.js';
import { seedWorkspace, Workspace } from './workspace/workspace.js';
import type { UdfFolder } from './workspace/udf-folder.js';

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
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** A run as callers ask for it: a UDF (found by target or given), its inputs and formats. */
export interface EngineRun {
  udf: UdfFolder;
  params?: Record<string, unknown>;
  tile?: Tile | null;
  formats?: Format[];
  defaults?: Record<ResultKind, Format>;
  timeoutMs?: number;
}

export class Engine {
  private constructor(
    readonly paths: HomePaths,
    readonly resources: ResourcePaths,
    readonly workspace: Workspace,
    readonly pool: WorkerPool,
  ) {}

  /** Opens the engine: checks the runtime, prepares the home folder and starts the workers. */
  static async open(options: EngineOptions = {}): Promise<Engine> {
    const env = options.env ?? process.env;
    const paths = homePaths(env, options.home);
    const resources = resourcePaths(env);
    const python = runtimePython(paths.runtime);
    if (!existsSync(python)) {
      throw udfError('UDF_ERR_RUNTIME_MISSING', `no Python runtime at ${paths.runtime}; run "udf-studio setup" (npm install does it)`);
    }
    for (const dir of [paths.root, paths.sharedDisk, paths.bucket, paths.logs]) mkdirSync(dir, { recursive: true });
    const folders = options.workspaces && options.workspaces.length > 0 ? options.workspaces : [paths.udfs];
    if (!options.workspaces?.length) seedWorkspace(paths.udfs, resources.exampleUdfs);
    const workspace = new Workspace(folders);
    const pool = new WorkerPool({
      python,
      cwd: paths.root,
      env: {
        ...env,
        UDF_STUDIO_HOME: paths.root,
        UDF_STUDIO_WORKSPACES: workspace.folders.join(delimiter),
        UDF_STUDIO_PRELOAD: (options.preload ?? DEFAULT_PRELOAD).join(','),
        // The app's own runtime sources win over whatever checkout the venv's .pth names.
        PYTHONPATH: [resources.runtime, env.PYTHONPATH].filter(Boolean).join(delimiter),
        PYTHONDONTWRITEBYTECODE: '1',
        // Tells the fused package it runs inside a worker, so fused.run does not call back over HTTP.
        UDF_STUDIO_WORKER: '1',
      },
      ...(options.poolSize !== undefined ? { size: options.poolSize } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
      ...(options.log ? { onLog: options.log } : {}),
    });
    await pool.start();
    return new Engine(paths, resources, workspace, pool);
  }

  /** Runs a UDF in a worker. Failures of the UDF come back as a failed outcome. */
  run(request: EngineRun): Promise<RunOutcome> {
    return this.pool.run({
      udf: request.udf.source,
      params: request.params ?? {},
      tile: request.tile ?? null,
      formats: request.formats ?? [],
      defaults: request.defaults ?? READABLE_DEFAULTS,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    });
  }

  /** Loads a UDF's code and reports its parameters, or why it does not load. */
  describe(udf: UdfFolder): Promise<{ ok: true; description: UdfDescription } | RunFailure> {
    return this.pool.describe(udf.source);
  }

  /** Stops the workers. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
