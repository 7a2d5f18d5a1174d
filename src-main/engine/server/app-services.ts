/**
 * What the window's routes need besides the engine, the tokens and the private token: the library,
 * the settings, where the built window is, and the runtime's health.
 *
 * They outlive the engine (a runtime reset closes and reopens it), so they reach it through a
 * function that throws UDF_ERR_RUNTIME_NOT_READY while there is none.
 */

import type { RuntimeHealth } from '../../../src-shared/app-api.js';
import type { Engine } from '../engine.js';
import type { HomePaths } from '../home.js';
import type { ResourcePaths } from '../resources.js';
import { inspectRuntime } from '../runtime/python-env.js';
import { SettingsStore } from '../settings.js';
import { Library } from '../workspace/library.js';

/** How long a runtime check (it starts Python) is reused. */
const RUNTIME_HEALTH_TTL_MS = 30_000;

/** How this engine was started, against what the settings say. */
export interface StartupChoices {
  /** `serve --workspace` / `--port` (or the app) chose these instead of the settings. */
  overridden: { workspaces: boolean; port: boolean };
  /**
   * Serves other workspace folders at once (the library, the watcher, the workers) and keeps them
   * for engine restarts; throws UDF_ERR_RUNTIME_NOT_READY while there is no engine.
   */
  setWorkspaces(folders: string[]): Promise<void>;
}

export interface AppServices {
  library: Library;
  settings: SettingsStore;
  startup: StartupChoices;
  /** The environment commands the window starts get (editor, file manager, trash location). */
  env: NodeJS.ProcessEnv;
  /** The built window (Vite's output): index.html and assets/. */
  rendererDir: string;
  runtimeHealth(): Promise<RuntimeHealth>;
}

export function createAppServices(engineOf: () => Engine, paths: HomePaths, resources: ResourcePaths, env: NodeJS.ProcessEnv, startup: StartupChoices): AppServices {
  let health: { at: number; value: Promise<RuntimeHealth> } | null = null;
  return {
    library: new Library(engineOf),
    settings: new SettingsStore(paths.settings),
    startup,
    env,
    rendererDir: resources.renderer,
    runtimeHealth() {
      const now = Date.now();
      if (!health || now - health.at > RUNTIME_HEALTH_TTL_MS) {
        const workers = engineOf().pool.workerPids().length;
        health = {
          at: now,
          value: inspectRuntime(paths.runtime, resources, paths.userPackages).then((report) => ({
            ok: report.ok, python: report.python, pythonVersion: report.pythonVersion, fusedVersion: report.fusedVersion,
            packages: report.packages, runtimeDir: report.runtimeDir, home: paths.root, workers, problems: report.problems,
          })),
        };
      }
      return health.value;
    },
  };
}
