/**
 * The Electron main process's entry: hands the real Electron API to the desktop app. A packaged app
 * finds its runtime sources, example UDFs and page in the resources folder next to the asar.
 */

import * as electron from 'electron';
import { fileURLToPath } from 'node:url';
import { startDesktopApp } from './desktop-app.js';

const packaged = electron.app.isPackaged;
const env = packaged ? { ...process.env, UDF_STUDIO_RESOURCES: process.env.UDF_STUDIO_RESOURCES ?? process.resourcesPath } : process.env;
startDesktopApp(electron, { env, packaged, preloadPath: fileURLToPath(new URL('./preload.cjs', import.meta.url)) });
