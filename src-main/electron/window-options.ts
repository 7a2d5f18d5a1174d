/**
 * The main window's options. Every security setting of Electron's checklist is set explicitly, even
 * where it is the default, so a change of defaults or a careless edit shows in review and in tests.
 */

import type { BrowserWindowConstructorOptions } from 'electron';

export function mainWindowOptions(preloadPath: string, iconPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 480,
    title: 'UDF Studio',
    icon: iconPath,
    // Shown on ready-to-show, so the first frame is the page rather than a white flash.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    },
  };
}
