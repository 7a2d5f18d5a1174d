/**
 * A running engine with its server: what `udf-studio serve` and the app start.
 *
 * Opens the engine, watches the workspace, loads the private token, listens, and records the URL in the
 * home's `engine.json` so scripts and notebooks can find it; `close` undoes all of it.
 *
 * With `setupRuntime` (the app, `npm start`) the server listens before the runtime is ready: it checks
 * the runtime, sets it up or repairs it while the window shows the progress, and only then starts the
 * workers. A reset closes the engine, rebuilds the runtime and opens the engine again behind the same
 * server.
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { udfError, type MissingPackage } from '../../../src-shared/errors.js';
import { PACKAGE_NOTE } from '../../../src-shared/runtime.js';
import { Engine, type EngineOptions } from '../engine.js';
import { EngineEvents } from '../events/engine-events.js';
import { homePaths } from '../home.js';
import { RemoteStore } from '../remote/remote-config.js';
import { SecretStore } from '../secrets/secret-store.js';
import { RemoteEngines } from '../remote/remote-engines.js';
import { resourcePaths } from '../resources.js';
import { RuntimeSupervisor, type PrepareMode } from '../runtime/runtime-supervisor.js';
import { localAccount } from '../account.js';
import { existingWorkspaces, SettingsStore } from '../settings.js';
import { loadOrCreatePrivateToken } from '../tokens/private-token.js';
import { TokenStore } from '../tokens/token-store.js';
import { WorkspaceWatcher } from '../workspace/workspace-watcher.js';
import { ResourceOwner } from '../resource-owner.js';
import { createAppServices } from './app-services.js';
import { listen } from './http-server.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './default-address.js';
import { PendingRuns } from './pending-runs.js';
import type { RuntimeControl, ServerServices } from './services.js';
import { installPackages } from '../runtime/package-install.js';
import { SESSION_PATH, SessionStore } from './session.js';

/** The runtime's log file in the home's logs folder. */
export const RUNTIME_LOG_FILE = 'runtime.log';

/**
 * Without `workspaces` or `port`, the home's settings.json decides (else the home's udfs/ and port
 * 8765); a settings file that cannot be read is UDF_ERR_SETTINGS.
 */
export interface EngineServerOptions extends EngineOptions {
  port?: number;
  host?: string;
  /**
   * Listen at once and set up or repair the runtime when it is missing, broken or outdated (`dev`:
   * with the test tools). Absent: a missing runtime is an error, as `udf-studio serve` reports it.
   */
  setupRuntime?: { dev: boolean };
}

/** What `engine.json` holds. */
export interface EngineInfo {
  url: string;
  port: number;
  pid: number;
  startedAt: string;
}

export interface EngineServer {
  /** The open engine; throws UDF_ERR_RUNTIME_NOT_READY while the runtime is being set up. */
  readonly engine: Engine;
  services: ServerServices;
  events: EngineEvents;
  runtime: RuntimeSupervisor;
  url: string;
  port: number;
  /** Resolves when the runtime is ready and the workers run, or when setup has failed (see `runtime.status`). */
  settled(): Promise<void>;
  /** Rebuilds the runtime from scratch behind the running server (the window's "Reset runtime"). */
  resetRuntime(): void;
  /**
   * A new one-time link that opens the window in a browser (or the app's own window) and gives it a
   * session; each call makes a fresh link, usable once within ten minutes.
   */
  sessionLink(): string;
  close(): Promise<void>;
}

/** The parts that exist only while the runtime is ready. */
interface OpenEngine {
  engine: Engine;
  watcher: WorkspaceWatcher;
  tokens: TokenStore;
  remotes: RemoteEngines;
  pendingRuns: PendingRuns;
  /** Closes the above, newest first. */
  owner: ResourceOwner;
}

export async function startEngineServer(options: EngineServerOptions = {}): Promise<EngineServer> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const paths = homePaths(env, options.home);
  const resources = resourcePaths(env);
  const events = options.events ?? new EngineEvents();
  const supervisor = new RuntimeSupervisor({
    runtimeDir: paths.runtime, resources, events, env,
    logFile: join(paths.logs, RUNTIME_LOG_FILE), dev: options.setupRuntime?.dev ?? false,
    userPackagesFile: paths.userPackages,
  });
  let open: OpenEngine | null = null;
  let closed = false;
  const settings = new SettingsStore(paths.settings).read();
  // What the engine serves; the window can change it while it runs, and a runtime reset keeps it.
  let workspaces = options.workspaces?.length ? options.workspaces : existingWorkspaces(settings.workspaces, paths.settings, log);

  /** Serves other folders at once and tells the window which UDFs came or went. */
  const setWorkspaces = async (folders: string[]): Promise<void> => {
    const { engine, watcher } = ready();
    const before = engine.workspace.list();
    engine.setWorkspaces(folders);
    await watcher.follow();
    workspaces = [...engine.workspace.folders];
    const after = engine.workspace.list();
    const came = after.filter((entry) => !before.some((old) => old.dir === entry.dir));
    const went = before.filter((entry) => !after.some((now) => now.dir === entry.dir));
    events.emit({
      type: 'workspace',
      changed: [...came.map((entry) => ({ name: basename(entry.dir), key: entry.kind === 'udf' ? entry.source.key : null })), ...went.map((entry) => ({ name: basename(entry.dir), key: null }))],
    });
  };
  // The window's services outlive engine restarts; they reach the engine of the moment.
  const app = createAppServices(() => ready().engine, paths, resources, env, {
    overridden: { workspaces: Boolean(options.workspaces?.length), port: options.port !== undefined },
    setWorkspaces,
  });

  const openEngine = async (): Promise<void> => {
    const owner = new ResourceOwner();
    try {
      const engine = owner.own('engine', await Engine.open({ ...options, ...(workspaces ? { workspaces } : {}), events }), (opened) => opened.close());
      engine.missingPackages = installMissing;
      // The server answers from a snapshot of the workspace that the watcher keeps fresh.
      const watcher = owner.own('workspace watcher', new WorkspaceWatcher(engine.workspace), (watching) => watching.close());
      await watcher.start();
      // The window hears which UDFs a settled change touched, with their new code keys.
      watcher.onChange((entries, changedPaths) => {
        const changed = app.library.changedUdfs(entries, changedPaths);
        if (changed.length > 0) events.emit({ type: 'workspace', changed });
      });
      open = {
        engine, watcher, owner, tokens: new TokenStore(engine.db),
        pendingRuns: owner.own('pending code runs', new PendingRuns(), (runs) => runs.close()),
        remotes: owner.own('remote engines', new RemoteEngines(new RemoteStore(engine.paths.remotes), engine.db, engine.cache, events), (remotes) => remotes.close()),
      };
    } catch (error) {
      await owner.close().catch(() => undefined); // the start's own error says what went wrong
      throw error;
    }
  };
  const closeEngine = async (): Promise<void> => {
    const current = open;
    open = null;
    await current?.owner.close();
  };

  const installing = new Map<string, Promise<boolean>>();
  const failedInstalls = new Set<string>();
  /**
   * The auto-install setting: a package Fused's image has that a run misses installs itself, once
   * for all the runs that miss it together; one that failed is not tried again until a restart.
   */
  const installMissing = (missing: MissingPackage): Promise<boolean> => {
    const { requirement } = missing;
    if (!missing.inFusedImage || failedInstalls.has(requirement) || !autoInstallOn()) return Promise.resolve(false);
    let pending = installing.get(requirement);
    if (!pending) {
      pending = runtime.install([requirement], []).then(() => true, (error: unknown) => {
        failedInstalls.add(requirement);
        supervisor.note(`${PACKAGE_NOTE}${requirement} could not be installed: ${(error as Error).message.split('\n')[0] ?? ''}`);
        return false;
      }).finally(() => installing.delete(requirement));
      installing.set(requirement, pending);
    }
    return pending;
  };
  const autoInstallOn = (): boolean => {
    try {
      return new SettingsStore(paths.settings).read().autoInstallPackages === true;
    } catch {
      return false; // a broken settings file is reported where settings are read, not here
    }
  };

  /** Check (or reset), set up what is needed, then start the workers. */
  const bringUp = async (mode: PrepareMode): Promise<void> => {
    if (!(await supervisor.prepare(mode)) || closed) return;
    try {
      await openEngine();
    } catch (error) {
      await supervisor.markFailed(error);
      return;
    }
    if (closed) await closeEngine();
    else supervisor.markReady();
  };

  if (!options.setupRuntime) {
    await openEngine();
    supervisor.markReady();
  }
  let settling: Promise<void> = Promise.resolve();
  const runtime: RuntimeControl = {
    get ready() {
      return supervisor.ready;
    },
    report: () => supervisor.report(),
    reset: () => {
      if (supervisor.busy) throw udfError('UDF_ERR_RUNTIME_BUSY', `the runtime is already being set up (${supervisor.status.step}); wait for it to finish`);
      supervisor.beginReset();
      settling = closeEngine().then(() => bringUp('reset'));
    },
    install: async (packages, extras) => {
      if (supervisor.busy) throw udfError('UDF_ERR_RUNTIME_BUSY', `the runtime is being set up (${supervisor.status.step}); install once it is ready`);
      supervisor.note(`${PACKAGE_NOTE}installing ${[...packages, ...extras.map((extra) => `the ${extra} extra`)].join(', ')}`);
      const result = await installPackages(packages, extras, {
        runtimeDir: paths.runtime, resources, userPackagesFile: paths.userPackages, env, onLine: (line) => supervisor.note(line),
      });
      supervisor.note(`${PACKAGE_NOTE}installed ${Object.entries(result.installed).map(([name, version]) => `${name}==${version}`).join(', ') || 'nothing new'}`);
      return result;
    },
  };
  const ready = (): OpenEngine => {
    if (open) return open;
    const { phase, step, error } = supervisor.status;
    throw udfError('UDF_ERR_RUNTIME_NOT_READY', phase === 'failed'
      ? `the Python runtime could not be set up: ${error?.message ?? 'unknown error'}; see GET /api/runtime`
      : `the Python runtime is being set up (${step}); try again once GET /api/runtime says ready`);
  };

  try {
    mkdirSync(paths.root, { recursive: true });
    const host = options.host ?? DEFAULT_HOST;
    const services: ServerServices = {
      get engine() {
        return ready().engine;
      },
      get watcher() {
        return ready().watcher;
      },
      get tokens() {
        return ready().tokens;
      },
      get remotes() {
        return ready().remotes;
      },
      get pendingRuns() {
        return ready().pendingRuns;
      },
      secrets: new SecretStore(paths.secrets),
      events,
      runtime,
      resources,
      privateToken: loadOrCreatePrivateToken(paths.credentials),
      account: () => localAccount(new SettingsStore(paths.settings).read()),
      allowAnyHost: !isLoopback(host),
      teamMode: !isLoopback(host),
      log,
      app,
    };
    const running = await listen(services, options.port ?? settings.port ?? DEFAULT_PORT, host);
    // Cookies are per host, not per port: the session cookie's name carries the port.
    const sessions = new SessionStore(running.port);
    services.sessions = sessions;
    // Scripts on this machine reach a wildcard-bound team server through loopback.
    const localUrl = host === '0.0.0.0' || host === '::' ? `http://127.0.0.1:${running.port}` : running.url;
    const info: EngineInfo = { url: localUrl, port: running.port, pid: process.pid, startedAt: new Date().toISOString() };
    const temporary = `${paths.engineInfo}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(temporary, paths.engineInfo);
    if (options.setupRuntime) settling = bringUp('check');
    // What the server started, beyond the engine of the moment: closed in reverse order.
    const owner = new ResourceOwner();
    owner.defer('engine', () => closeEngine());
    owner.defer('runtime setup', () => settling);
    owner.own('HTTP server', running, (server) => server.close());
    owner.defer('engine.json', () => removeEngineInfo(paths.engineInfo));
    owner.defer('runtime supervisor', () => {
      closed = true;
      supervisor.stop();
    });
    return {
      get engine() {
        return ready().engine;
      },
      services, events, runtime: supervisor, url: running.url, port: running.port,
      settled: async () => {
        // A reset may start while we wait; wait for the latest.
        for (let seen = settling; ; seen = settling) {
          await seen;
          if (seen === settling) return;
        }
      },
      resetRuntime: () => runtime.reset(),
      sessionLink: () => `${localUrl}${SESSION_PATH}/${sessions.issueTicket()}`,
      close: () => owner.close(),
    };
  } catch (error) {
    await closeEngine();
    throw error;
  }
}

function isLoopback(host: string): boolean {
  return host === DEFAULT_HOST || host === 'localhost' || host === '::1';
}

/** Removes engine.json only if it still describes this process (another engine may own it now). */
function removeEngineInfo(path: string): void {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<EngineInfo>;
    if (info.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}
