/**
 * Where the app's bundled resources are: the Python runtime's sources, the example UDFs and the
 * built window.
 *
 * From a source checkout they sit in the project's `resources/`; a packaged app sets
 * `UDF_STUDIO_RESOURCES` to its resources folder.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ResourcePaths {
  root: string;
  /** The runtime's Python sources: the `fused` package and the worker. */
  runtime: string;
  requirements: string;
  devRequirements: string;
  /** What setup installs first to install the rest (uv). */
  setupRequirements: string;
  /** Fused's realtime image: every package with Fused's version (`name==version` lines). */
  fusedImage: string;
  /** Example UDF folders seeded into a new workspace. */
  exampleUdfs: string;
  /** The runtime's progress and failure page (HTML, CSS, script). */
  runtimePage: string;
  /** The app's icons as PNGs named by size (`32x32.png` ... `512x512.png`). */
  icons: string;
  /**
   * The built window (Vite's output): `UDF_STUDIO_RENDERER`, else `renderer/` in a packaged app's
   * resources, else a checkout's `dist-renderer/`.
   */
  renderer: string;
}

/** Finds the resources folder: `UDF_STUDIO_RESOURCES`, else the nearest `resources/` above this file. */
export function resourcePaths(env: NodeJS.ProcessEnv = process.env): ResourcePaths {
  const root = env.UDF_STUDIO_RESOURCES ? resolve(env.UDF_STUDIO_RESOURCES) : findResourcesAbove(dirname(fileURLToPath(import.meta.url)));
  const runtime = join(root, 'runtime');
  return {
    root,
    runtime,
    requirements: join(runtime, 'requirements.txt'),
    devRequirements: join(runtime, 'requirements-dev.txt'),
    setupRequirements: join(runtime, 'requirements-setup.txt'),
    fusedImage: join(runtime, 'fused-image-packages.txt'),
    exampleUdfs: join(root, 'udfs'),
    runtimePage: join(root, 'runtime-page'),
    icons: join(root, 'icons'),
    renderer: rendererDir(env, root),
  };
}

function rendererDir(env: NodeJS.ProcessEnv, root: string): string {
  if (env.UDF_STUDIO_RENDERER) return resolve(env.UDF_STUDIO_RENDERER);
  return env.UDF_STUDIO_RESOURCES ? join(root, 'renderer') : join(dirname(root), 'dist-renderer');
}

function findResourcesAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'resources');
    if (existsSync(join(candidate, 'runtime', 'requirements.txt'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no resources/runtime/requirements.txt above ${start}; set UDF_STUDIO_RESOURCES`);
  }
}
