/**
 * What the window's routes need besides the engine, the tokens and the private token: the library,
 * the settings, where the built window is, and the runtime's health.
 */

import { join } from 'node:path';
import type { RuntimeStatus } from '../../../src-shared/app-api.js';
import type { Engine } from '../engine.js';
import { inspectRuntime } from '../runtime/python-env.js';
import { SettingsStore } from '../settings.js';
import { Library } from '../workspace/library.js';

/** How long a runtime check (it starts Python) is reused. */
const RUNTIME_STATUS_TTL_MS = 30_000;

export interface AppServices {
  library: Library;
  settings: SettingsStore;
  /** The environment commands the window starts get (editor, file manager, trash location). */
  env: NodeJS.ProcessEnv;
  /** The built window (Vite's output): index.html and assets/. */
  rendererDir: string;
  runtimeStatus(): Promise<RuntimeStatus>;
}

export function createAppServices(engine: Engine, env: NodeJS.ProcessEnv): AppServices {
  let status: { at: number; value: Promise<RuntimeStatus> } | null = null;
  return {
    library: new Library(engine),
    settings: new SettingsStore(join(engine.paths.root, 'settings.json')),
    env,
    rendererDir: engine.resources.renderer,
    runtimeStatus() {
      const now = Date.now();
      if (!status || now - status.at > RUNTIME_STATUS_TTL_MS) {
        status = {
          at: now,
          value: inspectRuntime(engine.paths.runtime, engine.resources).then((report) => ({
            ok: report.ok, python: report.python, pythonVersion: report.pythonVersion, fusedVersion: report.fusedVersion,
            packages: report.packages, runtimeDir: report.runtimeDir, home: engine.paths.root,
            workers: engine.pool.workerPids().length, problems: report.problems,
          })),
        };
      }
      return status.value;
    },
  };
}
