/**
 * The main-process side of the preload's API. Every message is checked before it is acted on: it
 * must come from the main window's top frame while that frame shows the app's own origin, and its
 * arguments must be what the method takes (paths inside a workspace, editable file types only).
 */

import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, sep } from 'node:path';
import type { BrowserWindow, Dialog, IpcMain, IpcMainInvokeEvent, Shell } from 'electron';
import { DESKTOP_CHANNELS, type DesktopApi } from '../../src-shared/desktop-api.js';
import { isAppUrl } from './navigation-guard.js';

/** File types "Open in editor" hands to the system: a UDF's source, metadata and notes, never programs. */
export const EDITABLE_EXTENSIONS = new Set(['.py', '.json', '.md', '.txt', '.toml', '.yaml', '.yml', '.csv', '.geojson', '.sql']);
const MAX_PATH_LENGTH = 4_096;
const MAX_UDF_NAME_LENGTH = 200;

export interface DesktopIpcContext {
  window(): BrowserWindow | null;
  appOrigin(): string | null;
  workspaceFolders(): readonly string[];
  setCurrentUdf(name: string | null): void;
  dialog: Pick<Dialog, 'showOpenDialog'>;
  shell: Pick<Shell, 'openPath' | 'showItemInFolder'>;
}

/** Whether an IPC message comes from the main window's top frame on the app's origin. */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, context: Pick<DesktopIpcContext, 'window' | 'appOrigin'>): boolean {
  const window = context.window();
  const frame = event.senderFrame;
  return window !== null && event.sender === window.webContents && frame !== null && frame.parent === null && isAppUrl(frame.url, context.appOrigin());
}

export function registerDesktopIpc(ipcMain: Pick<IpcMain, 'handle'>, context: DesktopIpcContext): void {
  const handle = <K extends keyof DesktopApi>(name: K, handler: (...args: unknown[]) => ReturnType<DesktopApi[K]>): void => {
    ipcMain.handle(DESKTOP_CHANNELS[name], (event, ...args: unknown[]) => {
      if (!isTrustedSender(event, context)) throw new Error(`${name} refused: the message does not come from the UDF Studio window (${event.senderFrame?.url ?? 'no frame'})`);
      return handler(...args);
    });
  };

  handle('chooseFolder', async () => {
    const window = context.window();
    const options = { title: 'Choose a folder of UDFs', properties: ['openDirectory' as const, 'createDirectory' as const] };
    const result = window ? await context.dialog.showOpenDialog(window, options) : await context.dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });

  handle('revealPath', (path) => {
    context.shell.showItemInFolder(workspacePath(path, context.workspaceFolders()));
    return Promise.resolve();
  });

  handle('openInEditor', async (path) => {
    const file = workspacePath(path, context.workspaceFolders());
    if (!statSync(file).isFile()) throw new Error(`${file} is not a file`);
    if (!EDITABLE_EXTENSIONS.has(extname(file).toLowerCase())) throw new Error(`${file} is not a UDF source file (${[...EDITABLE_EXTENSIONS].join(', ')})`);
    const failure = await context.shell.openPath(file);
    if (failure) throw new Error(`could not open ${file}: ${failure}`);
  });

  handle('setCurrentUdf', (name) => {
    if (name !== null && (typeof name !== 'string' || name.length === 0 || name.length > MAX_UDF_NAME_LENGTH || [...name].some((char) => char < ' '))) {
      throw new Error('setCurrentUdf takes a UDF name (1 to 200 printable characters) or null');
    }
    context.setCurrentUdf(name);
    return Promise.resolve();
  });
}

/** An existing path inside one of the workspace folders (symlinks resolved), or an error saying why not. */
export function workspacePath(path: unknown, folders: readonly string[]): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH || path.includes('\0')) throw new Error('the path must be a non-empty string');
  if (!isAbsolute(path)) throw new Error(`the path must be absolute, got ${path}`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new Error(`${path} does not exist`);
  }
  const inside = folders.some((folder) => {
    let root: string;
    try {
      root = realpathSync(folder);
    } catch {
      return false;
    }
    const rel = relative(root, real);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  });
  if (!inside) throw new Error(`${path} is not inside a workspace folder`);
  return real;
}
