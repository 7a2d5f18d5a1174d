/**
 * A running engine with its server: what `udf-studio serve` (and later the app) starts.
 *
 * Opens the engine, watches the workspace, loads the private token, listens, and records the URL in the
 * home's `engine.json` so scripts and notebooks can find it; `close` undoes all of it.
 */

import { rmSync, writeFileSync, renameSync, readFileSync } from 'node:fs';
import { Engine, type EngineOptions } from '../engine.js';
import { RemoteStore } from '../remote/remote-config.js';
import { RemoteEngines } from '../remote/remote-engines.js';
import { loadOrCreatePrivateToken } from '../tokens/private-token.js';
import { TokenStore } from '../tokens/token-store.js';
import { WorkspaceWatcher } from '../workspace/workspace-watcher.js';
import { DEFAULT_HOST, DEFAULT_PORT, listen } from './http-server.js';
import type { ServerServices } from './services.js';

export interface EngineServerOptions extends EngineOptions {
  port?: number;
  host?: string;
}

/** What `engine.json` holds. */
export interface EngineInfo {
  url: string;
  port: number;
  pid: number;
  startedAt: string;
}

export interface EngineServer {
  engine: Engine;
  services: ServerServices;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEngineServer(options: EngineServerOptions = {}): Promise<EngineServer> {
  const log = options.log ?? (() => {});
  const engine = await Engine.open(options);
  // The server answers from a snapshot of the workspace that the watcher keeps fresh.
  const watcher = new WorkspaceWatcher(engine.workspace);
  try {
    await watcher.start();
    const host = options.host ?? DEFAULT_HOST;
    const services: ServerServices = {
      engine,
      watcher,
      tokens: new TokenStore(engine.db),
      privateToken: loadOrCreatePrivateToken(engine.paths.credentials),
      remotes: new RemoteEngines(new RemoteStore(engine.paths.remotes), engine.db, engine.cache),
      allowAnyHost: !isLoopback(host),
      teamMode: !isLoopback(host),
      log,
    };
    const running = await listen(services, options.port ?? DEFAULT_PORT, host);
    // Scripts on this machine reach a wildcard-bound team server through loopback.
    const localUrl = host === '0.0.0.0' || host === '::' ? `http://127.0.0.1:${running.port}` : running.url;
    const info: EngineInfo = { url: localUrl, port: running.port, pid: process.pid, startedAt: new Date().toISOString() };
    const temporary = `${engine.paths.engineInfo}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(temporary, engine.paths.engineInfo);
    let closing: Promise<void> | null = null;
    return {
      engine, services, url: running.url, port: running.port,
      close: () => {
        closing ??= (async () => {
          removeEngineInfo(engine.paths.engineInfo);
          await running.close();
          await watcher.close();
          await engine.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await watcher.close();
    await engine.close();
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
