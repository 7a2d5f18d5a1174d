import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDesktopApp, type DesktopApp } from '../../src-main/electron/desktop-app.js';
import { CONTENT_SECURITY_POLICY } from '../../src-shared/content-security-policy.js';
import { DESKTOP_CHANNELS } from '../../src-shared/desktop-api.js';
import { makeTestHome, type TestHome } from '../helpers/test-home.js';
import { request } from '../helpers/server.js';
import { click, makeStandIn, menuItem, StandInEvent, type StandIn, type StandInFrame, type StandInWindow } from './stand-in-electron.js';
import { textMatching } from '../helpers/matchers.js';

// The desktop app's wiring, driven through a stand-in Electron (the binary cannot be downloaded
// here) around a real engine: real workers, real SQLite, real HTTP.
let home: TestHome;
let standIn: StandIn;
let app: DesktopApp;
let window: StandInWindow;
let origin: string;

beforeEach(async () => {
  home = makeTestHome();
  standIn = makeStandIn();
  app = startDesktopApp(standIn.electron, { env: home.env, preloadPath: '/app/dist/src-main/electron/preload.cjs', packaged: false, port: 0 }) as DesktopApp;
  await app.ready;
  await app.server()?.settled();
  window = standIn.windows[0] as StandInWindow;
  origin = new URL(app.server()?.url as string).origin;
});
afterEach(async () => {
  if (!standIn.app.quitted) await quit();
  home.remove();
});

async function quit(): Promise<void> {
  standIn.app.quit();
  for (let i = 0; i < 400 && !standIn.app.quitted; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(standIn.app.quitted).toBe(true);
}

/** Sends an IPC message as the renderer would. */
async function invoke(channel: string, from: { sender?: unknown; frame?: StandInFrame | null } = {}, ...args: unknown[]): Promise<unknown> {
  const handler = standIn.ipcHandlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  const event = { sender: from.sender ?? window.webContents, senderFrame: from.frame === undefined ? window.webContents.mainFrame : from.frame };
  // ipcMain.handle answers a handler's synchronous throw as a rejection; so does this.
  return Promise.resolve().then(() => handler(event as never, ...args));
}

describe('the desktop app (stand-in Electron, real engine)', () => {
  it('opens one window with every security setting explicit, on the engine\'s page', () => {
    expect(standIn.windows).toHaveLength(1);
    expect(window.options.webPreferences).toEqual({
      preload: '/app/dist/src-main/electron/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false,
      webviewTag: false, experimentalFeatures: false, navigateOnDragDrop: false, safeDialogs: true,
    });
    expect(window.options.show).toBe(false);
    // A one-time window link: it sets the window's session cookie and lands on the window.
    expect(window.loadedUrls).toHaveLength(1);
    expect(window.loadedUrls[0]).toMatch(new RegExp(`^${origin}/session/[A-Za-z0-9_-]{40,}$`));
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('asks before the window closes over unsaved edits, and closes only on Leave', () => {
    const attempt = (answer: string): boolean => {
      standIn.messageBoxAnswer = answer;
      const event = new StandInEvent();
      window.webContents.emit('will-prevent-unload', event);
      return event.defaultPrevented;
    };
    // preventDefault on will-prevent-unload overrides the page's veto: the window closes.
    expect(attempt('Stay')).toBe(false);
    expect(attempt('Leave')).toBe(true);
    expect(standIn.messageBoxes.map((box) => [box.message, box.buttons])).toEqual([
      ['Leave with unsaved edits?', ['Leave', 'Stay']], ['Leave with unsaved edits?', ['Leave', 'Stay']],
    ]);
  });

  it('keeps navigation on the app\'s origin and sends web links to the system browser', () => {
    expect(window.webContents.navigate(`${origin}/runtime`)).toBe(true);
    expect(window.webContents.navigate('https://docs.fused.io/')).toBe(false);
    expect(window.webContents.navigate('http://127.0.0.1:1/elsewhere')).toBe(false);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://server/share', 'not a url']) expect(window.webContents.navigate(url), url).toBe(false);
    expect(standIn.externalUrls).toEqual(['https://docs.fused.io/', 'http://127.0.0.1:1/elsewhere']);
    const webview = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    window.webContents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it('denies every new window, opening only http(s) links outside the app', () => {
    const open = window.webContents.windowOpenHandler as (details: { url: string }) => { action: string };
    for (const url of [`${origin}/runtime`, 'https://example.com/a', 'file:///etc/passwd', 'javascript:void(0)']) expect(open({ url }), url).toEqual({ action: 'deny' });
    expect(standIn.externalUrls).toEqual(['https://example.com/a']);
  });

  it('denies permission requests and checks, and puts the CSP on the engine\'s pages only', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | null = null;
      standIn.permissionRequestHandler?.(window.webContents, permission, (answer) => (granted = answer));
      expect(granted, permission).toBe(false);
      expect(standIn.permissionCheckHandler?.(window.webContents, permission)).toBe(false);
    }
    const answer = (url: string, responseHeaders: Record<string, string[]>): { responseHeaders?: Record<string, string[]> } => {
      let response = {};
      standIn.headersHandler?.({ url, responseHeaders }, (given) => (response = given));
      return response;
    };
    // A response's own policy stays (every policy is enforced, so it cannot widen the app's).
    expect(answer(`${origin}/`, { 'content-type': ['text/html'], 'Content-Security-Policy': ["default-src *"] })).toEqual({
      responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': ["default-src *", CONTENT_SECURITY_POLICY] },
    });
    expect(answer(`${origin}/`, { 'content-type': ['text/html'], 'content-security-policy': [CONTENT_SECURITY_POLICY] })).toEqual({
      responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
    expect(answer('https://tile.openstreetmap.org/1/0/0.png', { 'content-type': ['image/png'] })).toEqual({});
  });

  it('#1: a UDF result opened in the app window keeps its sandbox beside the app\'s CSP', () => {
    let response: { responseHeaders?: Record<string, string[]> } = {};
    const headers = { 'content-type': ['text/html; charset=utf-8'], 'content-security-policy': ['sandbox allow-scripts'], 'x-content-type-options': ['nosniff'] };
    standIn.headersHandler?.({ url: `${origin}/fsh_${'A'.repeat(32)}.html`, responseHeaders: headers }, (given) => (response = given));
    expect(response.responseHeaders?.['Content-Security-Policy']).toEqual(['sandbox allow-scripts', CONTENT_SECURITY_POLICY]);
    expect(response.responseHeaders?.['x-content-type-options']).toEqual(['nosniff']);
  });

  it('answers IPC only from the main window\'s top frame on the app\'s origin', async () => {
    expect([...standIn.ipcHandlers.keys()].sort()).toEqual(Object.values(DESKTOP_CHANNELS).sort());
    await expect(invoke(DESKTOP_CHANNELS.setCurrentUdf, {}, 'Hello_World')).resolves.toBeUndefined();
    const refusals: Array<[string, { sender?: unknown; frame?: StandInFrame | null }]> = [
      ['another web contents', { sender: {} }],
      ['a page on another origin', { frame: { url: 'https://evil.example/', parent: null } }],
      ['a page on another local port', { frame: { url: 'http://127.0.0.1:1/', parent: null } }],
      ['a sub-frame of the app', { frame: { url: `${origin}/`, parent: { url: `${origin}/`, parent: null } } }],
      ['a frame that is gone', { frame: null }],
    ];
    for (const [name, from] of refusals) {
      await expect(invoke(DESKTOP_CHANNELS.setCurrentUdf, from, 'Hello_World'), name).rejects.toThrow(/refused: the message does not come from the UDF Studio window/);
    }
  });

  it('validates the arguments of every method', async () => {
    const udfs = join(home.root, 'udfs');
    const source = join(udfs, 'Hello_World', 'Hello_World.py');
    await invoke(DESKTOP_CHANNELS.revealPath, {}, source);
    await invoke(DESKTOP_CHANNELS.openInEditor, {}, source);
    expect(standIn.revealedPaths).toEqual([source]);
    expect(standIn.openedPaths).toEqual([source]);
    const bad: Array<[string, unknown, RegExp]> = [
      [DESKTOP_CHANNELS.revealPath, '/etc/passwd', /not inside a workspace folder/],
      [DESKTOP_CHANNELS.revealPath, join(udfs, '..', 'credentials'), /not inside a workspace folder/],
      [DESKTOP_CHANNELS.revealPath, 'udfs/Hello_World', /must be absolute/],
      [DESKTOP_CHANNELS.revealPath, 42, /non-empty string/],
      [DESKTOP_CHANNELS.revealPath, join(udfs, 'nope'), /does not exist/],
      [DESKTOP_CHANNELS.openInEditor, join(udfs, 'Hello_World'), /is not a file/],
      [DESKTOP_CHANNELS.openInEditor, home.write({ 'udfs/Hello_World/run.sh': 'echo hi' }), /is not a UDF source file/],
      [DESKTOP_CHANNELS.setCurrentUdf, '', /UDF name/],
      [DESKTOP_CHANNELS.setCurrentUdf, 'a\nb', /UDF name/],
      [DESKTOP_CHANNELS.setCurrentUdf, { name: 'x' }, /UDF name/],
    ];
    for (const [channel, arg, message] of bad) await expect(invoke(channel, {}, arg), `${channel} ${String(arg)}`).rejects.toThrow(message);
    expect(standIn.openedPaths).toEqual([source]);
    standIn.openDialogResult = { canceled: false, filePaths: ['/data/my-udfs'] };
    expect(await invoke(DESKTOP_CHANNELS.chooseFolder)).toBe('/data/my-udfs');
    standIn.openDialogResult = { canceled: true, filePaths: [] };
    expect(await invoke(DESKTOP_CHANNELS.chooseFolder)).toBeNull();
  });

  it('copies a working tile URL of the current UDF from the menu', async () => {
    click(menuItem(standIn.applicationMenu, 'copy-tile-url'));
    expect(standIn.errorBoxes).toEqual([{ title: 'No UDF to copy a tile URL for', content: 'Open a UDF in the window first.' }]);
    await invoke(DESKTOP_CHANNELS.setCurrentUdf, {}, 'Tile_Grid');
    click(menuItem(standIn.applicationMenu, 'copy-tile-url'));
    const url = standIn.clipboard[0] as string;
    expect(url).toMatch(new RegExp(`^${origin}/fsh_[A-Za-z0-9_-]+/run/tiles/\\{z\\}/\\{x\\}/\\{y\\}$`));
    const tile = await request(origin, `${new URL(url.replace('{z}/{x}/{y}', '12/2074/1409')).pathname}.mvt`);
    expect(tile.status).toBe(200);
    await invoke(DESKTOP_CHANNELS.setCurrentUdf, {}, 'No_Such_UDF');
    click(menuItem(standIn.applicationMenu, 'copy-tile-url'));
    expect(standIn.errorBoxes.at(-1)).toMatchObject({ title: 'Could not make a tile URL', content: textMatching(/no UDF named "No_Such_UDF"/) });
  });

  it('has the menu and tray actions: workspace folder, logs, reset, quit', () => {
    click(menuItem(standIn.applicationMenu, 'open-workspace'));
    click(menuItem(standIn.applicationMenu, 'show-logs'));
    expect(standIn.openedPaths).toEqual([join(home.root, 'udfs'), join(home.root, 'logs')]);
    expect(menuItem(standIn.applicationMenu, 'reset-runtime')?.label).toBe('Reset Runtime…');
    const tray = standIn.trays[0];
    expect(tray?.image.path).toMatch(/resources[/\\]icons[/\\]32x32\.png$/);
    expect(tray?.tooltip).toBe('UDF Studio');
    for (const id of ['show-window', 'open-workspace', 'copy-tile-url', 'show-logs', 'reset-runtime', 'quit']) expect(menuItem(tray?.menu ?? null, id), id).toBeDefined();
  });

  it('focuses the running window when a second instance starts', () => {
    window.minimized = true;
    standIn.app.emit('second-instance');
    expect(window.minimized).toBe(false);
    expect(window.focused).toBe(true);
  });

  it('quits only after the server and every worker have stopped', async () => {
    const server = app.server();
    const pids = server?.engine.pool.workerPids() ?? [];
    expect(pids.length).toBeGreaterThan(0);
    click(menuItem(standIn.trays[0]?.menu ?? null, 'quit'));
    expect(standIn.app.quitted).toBe(false);
    await quit();
    for (const pid of pids) expect(() => process.kill(pid, 0), `worker ${pid}`).toThrow();
    expect(existsSync(join(home.root, 'engine.json'))).toBe(false);
    expect(standIn.trays[0]?.destroyed).toBe(true);
    await expect(request(origin, '/api/runtime')).rejects.toThrow();
  });
});

describe('a second launch', () => {
  it('quits at once when another instance holds the lock', () => {
    const second = makeStandIn();
    second.app.hasLock = false;
    expect(startDesktopApp(second.electron, { env: process.env, preloadPath: '/x', packaged: false, port: 0 })).toBeNull();
    expect(second.app.quitCount).toBe(1);
    expect(second.windows).toEqual([]);
  });
});
