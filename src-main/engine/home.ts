/**
 * The home folder (`UDF_STUDIO_HOME`, default `~/.udf-studio`) and the paths the engine keeps there.
 */

import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The home holds the private token, results, printed output and token metadata: owner only. */
const PRIVATE_DIR_MODE = 0o700;

/** Every place under the home folder that the engine reads or writes. */
export interface HomePaths {
  root: string;
  /** The Python runtime (a venv); `UDF_STUDIO_RUNTIME` moves it elsewhere. */
  runtime: string;
  /** The default workspace folder. */
  udfs: string;
  /** The shared disk that `/mnt/cache` paths in UDF code land on. */
  sharedDisk: string;
  /** The bucket that `fd://` paths name. */
  bucket: string;
  database: string;
  resultCache: string;
  credentials: string;
  /** The key that signs file URLs (`fused.api.sign_url`), created on first use (mode 0600). */
  urlSigningKey: string;
  /** Configured remote engines and their tokens (mode 0600). */
  remotes: string;
  /** Configured Dask clusters (`udf-studio cluster add`). */
  clusters: string;
  /** The secrets UDF code reads as `fused.secrets` (mode 0600; `udf-studio secret set`). */
  secrets: string;
  /** The app's settings: workspace folders, port, editor command. */
  settings: string;
  engineInfo: string;
  logs: string;
  /** Results of submit jobs while the engine runs. */
  jobs: string;
  /** Tiles of unfinished exports, one staging file per archive path (they resume from it). */
  exports: string;
  /** Packages the user added to the runtime (`udf-studio install`), kept across updates and repairs. */
  userPackages: string;
}

/** Resolves the home folder from the environment (or an explicit root) into its paths. */
export function homePaths(env: NodeJS.ProcessEnv = process.env, root?: string): HomePaths {
  const base = resolve(root ?? env.UDF_STUDIO_HOME ?? join(homedir(), '.udf-studio'));
  return {
    root: base,
    runtime: resolve(env.UDF_STUDIO_RUNTIME ?? join(base, 'runtime')),
    udfs: join(base, 'udfs'),
    sharedDisk: join(base, 'mnt', 'cache'),
    bucket: join(base, 'fd'),
    database: join(base, 'udf-studio.sqlite'),
    resultCache: join(base, 'cache'),
    credentials: join(base, 'credentials'),
    urlSigningKey: join(base, 'url-signing-key'),
    remotes: join(base, 'remotes.json'),
    clusters: join(base, 'clusters.json'),
    secrets: join(base, 'secrets.json'),
    settings: join(base, 'settings.json'),
    engineInfo: join(base, 'engine.json'),
    logs: join(base, 'logs'),
    jobs: join(base, 'jobs'),
    exports: join(base, 'exports'),
    userPackages: join(base, 'user-packages.json'),
  };
}

/**
 * Creates the home folder and its logs owner-only, and makes an existing one that others can read
 * (made by an older version, or by hand) owner-only too. A folder someone else owns is left alone:
 * changing it would fail, and the engine only needs to use it.
 */
export function secureHome(paths: Pick<HomePaths, 'root' | 'logs'>): void {
  for (const dir of [paths.root, paths.logs]) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const stat = statSync(dir);
    if ((stat.mode & 0o077) !== 0 && (process.getuid === undefined || stat.uid === process.getuid())) chmodSync(dir, PRIVATE_DIR_MODE);
  }
}
