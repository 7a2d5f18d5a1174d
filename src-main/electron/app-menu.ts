/**
 * The application menu and the tray menu: the same few actions (open the workspace folder, copy the
 * current UDF's tile URL, show the logs, reset the runtime, quit), plus the standard edit, view and
 * window menus the platform expects.
 */

import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  showWindow(): void;
  openWorkspaceFolder(): void;
  copyTileUrl(): void;
  showLogs(): void;
  resetRuntime(): void;
  quit(): void;
}

export interface MenuContext {
  /** macOS puts the app's name menu first. */
  isMac: boolean;
  /** Developer tools only in an unpackaged build. */
  packaged: boolean;
}

/** The items both menus share. */
function appItems(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    { id: 'open-workspace', label: 'Open Workspace Folder', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.openWorkspaceFolder() },
    { id: 'copy-tile-url', label: 'Copy Tile URL of Current UDF', accelerator: 'CmdOrCtrl+Shift+C', click: () => actions.copyTileUrl() },
    { id: 'show-logs', label: 'Show Logs', click: () => actions.showLogs() },
    { type: 'separator' },
    { id: 'reset-runtime', label: 'Reset Runtime…', click: () => actions.resetRuntime() },
  ];
}

export function appMenuTemplate(actions: MenuActions, context: MenuContext): MenuItemConstructorOptions[] {
  const quit: MenuItemConstructorOptions = { id: 'quit', label: 'Quit UDF Studio', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() };
  return [
    ...(context.isMac ? [{ label: 'UDF Studio', submenu: [{ role: 'about' as const }, { type: 'separator' as const }, { role: 'hide' as const }, { role: 'unhide' as const }, { type: 'separator' as const }, quit] }] : []),
    { label: 'File', submenu: [...appItems(actions), ...(context.isMac ? [] : [{ type: 'separator' as const }, quit])] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(context.packaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { type: 'separator' },
        { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
}

export function trayMenuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    { id: 'show-window', label: 'Show UDF Studio', click: () => actions.showWindow() },
    { type: 'separator' },
    ...appItems(actions),
    { type: 'separator' },
    { id: 'quit', label: 'Quit UDF Studio', click: () => actions.quit() },
  ];
}
