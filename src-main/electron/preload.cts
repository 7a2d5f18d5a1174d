/**
 * The window's preload: exposes the few desktop methods of DesktopApi and nothing else (never
 * ipcRenderer itself). It runs sandboxed, where only `electron` can be required, so the channel
 * names are repeated here and the type-checker holds them equal to src-shared/desktop-api.ts.
 */

import electron = require('electron');
import type { DESKTOP_API_NAME, DesktopApi, DesktopChannels } from '../../src-shared/desktop-api.js';

const API_NAME = 'udfStudioDesktop' satisfies typeof DESKTOP_API_NAME;

const CHANNELS = {
  chooseFolder: 'udf-studio:choose-folder',
  revealPath: 'udf-studio:reveal-path',
  openInEditor: 'udf-studio:open-in-editor',
  setCurrentUdf: 'udf-studio:set-current-udf',
} as const satisfies DesktopChannels;

const { contextBridge, ipcRenderer } = electron;

const api: DesktopApi = {
  chooseFolder: () => ipcRenderer.invoke(CHANNELS.chooseFolder),
  revealPath: (path) => ipcRenderer.invoke(CHANNELS.revealPath, path),
  openInEditor: (path) => ipcRenderer.invoke(CHANNELS.openInEditor, path),
  setCurrentUdf: (name) => ipcRenderer.invoke(CHANNELS.setCurrentUdf, name),
};

contextBridge.exposeInMainWorld(API_NAME, api);
