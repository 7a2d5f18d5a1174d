/**
 * The desktop app: the engine in-process behind one window, with the menu, the tray and the preload's
 * API. This is wiring only; what the app does lives in the engine (tested headless) and the window.
 *
 * Electron comes in as a parameter so that tests drive this module with a stand-in: the real binary
 * cannot be downloaded everywhere the tests run.
 */

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { describeError, UdfStudioError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { ResourceOwner } from '../engine/resource-owner.js';
import { resourcePaths } from '../engine/resources.js';
import { startEngineServer, type EngineServer } from '../engine/server/engine-server.js';
import { windowUrl } from '../engine/server/window-url.js';
import { createTileUrl } from '../engine/tokens/tile-url.js';
import { appMenuTemplate, trayMenuTemplate, type MenuActions } from './app-menu.js';
import { registerDesktopIpc } from './desktop-ipc.js';
import { guardWebContents } from './navigation-guard.js';
import { secureSession } from './session-security.js';
import { mainWindowOptions } from './window-options.js';

/** The parts of Electron's main-process API the app uses. */
export type DesktopElectron = Pick<typeof import('electron'), 'app' | 'BrowserWindow' | 'Menu' | 'Tray' | 'ipcMain' | 'dialog' | 'shell' | 'session' | 'clipboard' | 'nativeImage'>;

export interface DesktopAppOptions {
  env: NodeJS.ProcessEnv;
  /** The compiled preload (preload.cjs). */
  preloadPath: string;
  /** A packaged build: no developer tools, and the runtime set up without the test tools. */
  packaged: boolean;
  /** The server's port; the settings' (else 8765), or any free one when that is taken, when absent. */
  port?: number;
}

export interface DesktopApp {
  /** Resolves once the engine's server listens and the window is open (or the start failed). */
  ready: Promise<void>;
  server(): EngineServer | null;
  window(): BrowserWindow | null;
}

/** Starts the app, or returns null when another instance runs (that one is focused instead). */
export function startDesktopApp(electron: DesktopElectron, options: DesktopAppOptions): DesktopApp | null {
  const { app, shell, dialog } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const paths = homePaths(options.env);
  const resources = resourcePaths(options.env);
  let server: EngineServer | null = null;
  let window: BrowserWindow | null = null;
  let currentUdf: string | null = null;
  /** The engine's server and the tray, closed in reverse order on quit. */
  const owner = new ResourceOwner();
  const origin = (): string | null => (server ? new URL(server.url).origin : null);

  const showWindow = (): void => {
    if (!window) {
      openWindow();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  const openWindow = (): void => {
    if (!server) return;
    const opened = new electron.BrowserWindow(mainWindowOptions(options.preloadPath, join(resources.icons, '512x512.png')));
    window = opened;
    opened.once('ready-to-show', () => opened.show());
    // The page vetoes closing or reloading while a UDF has unsaved edits (beforeunload), which
    // Electron would honour without a word: ask, as a browser does.
    opened.webContents.on('will-prevent-unload', (event) => {
      const choice = dialog.showMessageBoxSync(opened, {
        type: 'warning', buttons: ['Leave', 'Stay'], defaultId: 1, cancelId: 1,
        message: 'Leave with unsaved edits?', detail: 'A UDF has edits that are not saved. They are lost if you leave.',
      });
      if (choice === 0) event.preventDefault();
    });
    opened.on('closed', () => {
      if (window === opened) window = null;
    });
    void opened.loadURL(windowUrl(server));
  };
  const fail = (title: string, error: unknown): void => dialog.showErrorBox(title, error instanceof UdfStudioError ? describeError(error.data) : (error as Error).message);
  const actions: MenuActions = {
    showWindow,
    openWorkspaceFolder: () => void shell.openPath(server && server.runtime.ready ? (server.engine.workspace.folders[0] ?? paths.udfs) : paths.udfs),
    copyTileUrl: () => {
      if (!server || currentUdf === null) {
        dialog.showErrorBox('No UDF to copy a tile URL for', 'Open a UDF in the window first.');
        return;
      }
      try {
        electron.clipboard.writeText(createTileUrl(server.engine.workspace, server.services.tokens, server.url, currentUdf));
      } catch (error) {
        fail('Could not make a tile URL', error);
      }
    },
    showLogs: () => void shell.openPath(paths.logs),
    resetRuntime: () => {
      try {
        server?.resetRuntime();
        showWindow();
      } catch (error) {
        fail('Could not reset the runtime', error);
      }
    },
    quit: () => app.quit(),
  };

  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, origin, shell));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', showWindow);
  let engineStopped = false;
  app.on('before-quit', (event) => {
    if (engineStopped) return;
    // Every quit waits until the workers and the server have stopped; the first one stops them.
    event.preventDefault();
    if (owner.closed) return;
    void owner.close().catch((error: unknown) => appendLog(join(paths.logs, 'engine.log'), `stopping: ${(error as Error).message}`)).finally(() => {
      engineStopped = true;
      app.quit();
    });
  });

  const ready = app.whenReady().then(async () => {
    secureSession(electron.session.defaultSession, origin);
    registerDesktopIpc(electron.ipcMain, {
      window: () => window,
      appOrigin: origin,
      workspaceFolders: () => (server?.runtime.ready ? server.engine.workspace.folders : [paths.udfs]),
      setCurrentUdf: (name) => {
        currentUdf = name;
      },
      dialog,
      shell,
    });
    const started = await startServer(options, (line) => appendLog(join(paths.logs, 'engine.log'), line));
    if (owner.closed) {
      await started.close(); // the app quit while the engine started
      return;
    }
    server = owner.own('engine server', started, (running) => running.close());
    const menuContext = { isMac: process.platform === 'darwin', packaged: options.packaged };
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(appMenuTemplate(actions, menuContext)));
    const tray = owner.own('tray', new electron.Tray(electron.nativeImage.createFromPath(join(resources.icons, '32x32.png'))), (icon) => icon.destroy());
    tray.setToolTip('UDF Studio');
    tray.setContextMenu(electron.Menu.buildFromTemplate(trayMenuTemplate(actions)));
    openWindow();
  }).catch((error: unknown) => {
    fail('UDF Studio could not start', error);
    app.quit();
  });

  return { ready, server: () => server, window: () => window };
}

/**
 * The engine's server on the port of the settings (else the usual one), or on any free port when
 * another program holds it.
 */
async function startServer(options: DesktopAppOptions, log: (line: string) => void): Promise<EngineServer> {
  const start = (port?: number): Promise<EngineServer> => startEngineServer({ env: options.env, ...(port !== undefined ? { port } : {}), log, setupRuntime: { dev: !options.packaged } });
  if (options.port !== undefined) return start(options.port);
  try {
    return await start();
  } catch (error) {
    if (error instanceof UdfStudioError && error.code === 'UDF_ERR_USAGE') return start(0);
    throw error;
  }
}

function appendLog(file: string, line: string): void {
  try {
    appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
  } catch {
    // Logging must never take the app down.
  }
}
