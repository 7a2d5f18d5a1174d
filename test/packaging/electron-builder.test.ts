import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';

// electron-builder.yml, read and checked by electron-builder's own loader and schema (offline: the
// build itself downloads Electron), and the files it names checked on disk.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let loaded: Configuration;
beforeAll(async () => {
  loaded = await getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null);
});
// A fresh copy per test, as electron-builder's validation may normalise what it is given.
const load = (): Promise<Configuration> => Promise.resolve(structuredClone(loaded));

/** A PNG's width and height from its IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${path} is a PNG`).toBe(true);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('electron-builder.yml', () => {
  it('passes electron-builder\'s schema, and a broken copy does not', async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, targets: 'AppImage' } } as Configuration, new DebugLogger(false))).rejects.toThrow(/unknown property 'targets'/);
  });

  it('names the app and builds AppImage and deb, dmg and nsis', async () => {
    const config = await load();
    expect(config).toMatchObject({ appId: 'io.udfstudio.app', productName: 'UDF Studio', npmRebuild: true });
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.linux?.desktop).toMatchObject({ Name: 'UDF Studio', StartupWMClass: 'UDF Studio' });
  });

  it('packs only the built app, whose entry points it contains', async () => {
    const config = await load();
    // The loader normalises the list into one filter.
    const files = (config.files as Array<{ filter: string[] }>).flatMap((entry) => entry.filter);
    expect(files).toContain('dist/src-main/**/*.cjs');
    expect(files.every((pattern) => pattern === 'package.json' || pattern.startsWith('dist/src-main/') || pattern.startsWith('dist/src-shared/'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/src-main/electron/main.js');
    for (const built of [pkg.main, 'dist/src-main/electron/preload.cjs']) expect(existsSync(join(ROOT, built)), built).toBe(true);
  });

  it('ships the runtime, the example UDFs, the runtime page, the icons and the built window beside the asar, with better-sqlite3 unpacked', async () => {
    const config = await load();
    const extra = config.extraResources as Array<{ from: string; to: string }>;
    expect(extra.map((entry) => [entry.from, entry.to])).toEqual([
      ['resources/runtime', 'runtime'], ['resources/udfs', 'udfs'], ['resources/runtime-page', 'runtime-page'], ['resources/icons', 'icons'],
      ['dist-renderer', 'renderer'],
    ]);
    for (const { from } of extra) expect(existsSync(join(ROOT, from)), from).toBe(true);
    expect(existsSync(join(ROOT, 'resources/runtime/requirements.txt'))).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**');
  });

  it('has real square PNG icons at the sizes each platform needs', async () => {
    const config = await load();
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(pngSize(join(ROOT, `resources/icons/${size}x${size}.png`))).toEqual([size, size]);
    }
    expect(config.linux?.icon).toBe('resources/icons');
    expect(pngSize(join(ROOT, config.mac?.icon as string))[0]).toBeGreaterThanOrEqual(512);
    expect(pngSize(join(ROOT, config.win?.icon as string))[0]).toBeGreaterThanOrEqual(256);
  });
});
