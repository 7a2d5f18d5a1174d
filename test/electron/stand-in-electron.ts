/**
 * A stand-in for the parts of Electron's main-process API the desktop app uses. Electron's binary
 * cannot be downloaded where these tests run; this records what the app asks of Electron and lets a
 * test play the user and the renderer (navigate, open windows, send IPC, click menus, quit).
 */

import { EventEmitter } from 'node:events';
import type { MenuItemConstructorOptions } from 'electron';
import type { DesktopElectron } from '../../src-main/electron/desktop-app.js';

type Listener = (...args: never[]) => unknown;

/** An event whose default action a handler may prevent (will-navigate, before-quit). */
export class StandInEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export interface StandInFrame {
  url: string;
  parent: StandInFrame | null;
}

export class StandInWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  mainFrame: StandInFrame = { url: '', parent: null };

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }

  /** Plays a navigation the page starts; returns whether the app let it happen. */
  navigate(url: string): boolean {
    const event = new StandInEvent();
    this.emit('will-navigate', event, url);
    if (!event.defaultPrevented) this.mainFrame = { url, parent: null };
    return !event.defaultPrevented;
  }
}

export class StandInWindow extends EventEmitter {
  readonly webContents = new StandInWebContents();
  loadedUrls: string[] = [];
  shown = false;
  focused = false;
  minimized = false;
  destroyed = false;

  constructor(readonly options: Record<string, unknown>, app: StandInApp, created: StandInWindow[]) {
    super();
    created.push(this);
    app.emit('web-contents-created', new StandInEvent(), this.webContents);
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    this.webContents.mainFrame = { url, parent: null };
    return Promise.resolve();
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  restore(): void {
    this.minimized = false;
  }

  show(): void {
    this.shown = true;
  }

  focus(): void {
    this.focused = true;
  }
}

export class StandInApp extends EventEmitter {
  hasLock = true;
  quitCount = 0;
  /** Set once a quit went through (nothing prevented before-quit). */
  quitted = false;
  isPackaged = false;

  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  quit(): void {
    this.quitCount += 1;
    const event = new StandInEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.quitted = true;
  }
}

export interface StandInMenu {
  template: MenuItemConstructorOptions[];
}

export interface StandInIpcEvent {
  sender: StandInWebContents;
  senderFrame: StandInFrame | null;
}

type IpcHandler = (event: StandInIpcEvent, ...args: unknown[]) => unknown;

export interface StandIn {
  electron: DesktopElectron;
  app: StandInApp;
  windows: StandInWindow[];
  ipcHandlers: Map<string, IpcHandler>;
  applicationMenu: StandInMenu | null;
  trays: Array<{ image: { path: string }; tooltip: string; menu: StandInMenu | null; destroyed: boolean }>;
  externalUrls: string[];
  openedPaths: string[];
  revealedPaths: string[];
  clipboard: string[];
  errorBoxes: Array<{ title: string; content: string }>;
  messageBoxes: Array<{ message: string; buttons: string[] }>;
  /** The button a message box answers with, by its label. */
  messageBoxAnswer: string;
  openDialogResult: { canceled: boolean; filePaths: string[] };
  permissionRequestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null;
  permissionCheckHandler: ((contents: unknown, permission: string) => boolean) | null;
  headersHandler: ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void) | null;
}

/** A fresh stand-in; `electron` is what the app receives. */
export function makeStandIn(): StandIn {
  const app = new StandInApp();
  const windows: StandInWindow[] = [];
  const state: Omit<StandIn, 'electron' | 'app' | 'windows'> = {
    ipcHandlers: new Map(), applicationMenu: null, trays: [], externalUrls: [], openedPaths: [], revealedPaths: [], clipboard: [],
    errorBoxes: [], messageBoxes: [], messageBoxAnswer: '', openDialogResult: { canceled: true, filePaths: [] }, permissionRequestHandler: null, permissionCheckHandler: null, headersHandler: null,
  };
  const standIn = state as StandIn;
  standIn.app = app;
  standIn.windows = windows;
  const fake = {
    app,
    BrowserWindow: class extends StandInWindow {
      constructor(options: Record<string, unknown>) {
        super(options, app, windows);
      }
    },
    Menu: {
      buildFromTemplate: (template: MenuItemConstructorOptions[]): StandInMenu => ({ template }),
      setApplicationMenu: (menu: StandInMenu) => {
        standIn.applicationMenu = menu;
      },
    },
    Tray: class {
      readonly record: StandIn['trays'][number];
      constructor(image: { path: string }) {
        this.record = { image, tooltip: '', menu: null, destroyed: false };
        standIn.trays.push(this.record);
      }
      setToolTip(text: string): void {
        this.record.tooltip = text;
      }
      setContextMenu(menu: StandInMenu): void {
        this.record.menu = menu;
      }
      destroy(): void {
        this.record.destroyed = true;
      }
    },
    ipcMain: {
      handle: (channel: string, handler: IpcHandler) => {
        if (standIn.ipcHandlers.has(channel)) throw new Error(`a second handler for ${channel}`);
        standIn.ipcHandlers.set(channel, handler);
      },
    },
    dialog: {
      showOpenDialog: () => Promise.resolve(standIn.openDialogResult),
      showErrorBox: (title: string, content: string) => standIn.errorBoxes.push({ title, content }),
      showMessageBoxSync: (_window: unknown, options: { message: string; buttons: string[] }) => {
        standIn.messageBoxes.push(options);
        return options.buttons.indexOf(standIn.messageBoxAnswer);
      },
    },
    shell: {
      openExternal: (url: string) => {
        standIn.externalUrls.push(url);
        return Promise.resolve();
      },
      openPath: (path: string) => {
        standIn.openedPaths.push(path);
        return Promise.resolve('');
      },
      showItemInFolder: (path: string) => {
        standIn.revealedPaths.push(path);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: StandIn['permissionRequestHandler']) => {
          standIn.permissionRequestHandler = handler;
        },
        setPermissionCheckHandler: (handler: StandIn['permissionCheckHandler']) => {
          standIn.permissionCheckHandler = handler;
        },
        webRequest: {
          onHeadersReceived: (handler: StandIn['headersHandler']) => {
            standIn.headersHandler = handler;
          },
        },
      },
    },
    clipboard: { writeText: (text: string) => standIn.clipboard.push(text) },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
  };
  standIn.electron = fake as unknown as DesktopElectron;
  return standIn;
}

/** Finds a menu item by id anywhere in a template. */
export function menuItem(menu: StandInMenu | null, id: string): MenuItemConstructorOptions | undefined {
  const walk = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions | undefined => {
    for (const item of items) {
      if (item.id === id) return item;
      const found = Array.isArray(item.submenu) ? walk(item.submenu) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  return walk(menu?.template ?? []);
}

/** Clicks a menu item as a user would. */
export function click(item: MenuItemConstructorOptions | undefined): void {
  if (!item?.click) throw new Error('no such menu item');
  (item.click as unknown as Listener)();
}
