import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `npm start` builds only what changed: the check, on a checkout laid out like this one. */
const SCRIPT = fileURLToPath(new URL('../../bin/build-if-stale.js', import.meta.url));
let root = '';

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

function write(path: string, text: string, secondsAgo: number): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  const at = Date.now() / 1000 - secondsAgo;
  utimesSync(full, at, at);
  utimesSync(dirname(full), at, at);
}

/** A checkout whose three parts were last built after every source was written. */
function builtCheckout(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
  write('src-main/cli.ts', 'export {};\n', 100);
  write('src-shared/udf.ts', 'export {};\n', 100);
  write('src-renderer/src/App.svelte', '<p>hi</p>\n', 100);
  write('package-lock.json', '{}\n', 100);
  write('scripts/build-basemap.js', '\n', 100);
  write('src-renderer/src/map/world-basemap.json', '{}\n', 100);
  write('dist/src-main/cli.js', '', 50);
  write('dist-renderer/index.html', '', 50);
  // What the last builds saw: a time after every source was written.
  const newest = Date.now() - 90_000;
  write('dist/.built-from.json', JSON.stringify({ newest, inputs: ['src-main', 'src-shared', 'bench', 'tsconfig.base.json', 'tsconfig.node.json', 'package-lock.json'] }), 50);
  write('dist-renderer/.built-from.json', JSON.stringify({ newest, inputs: ['src-renderer', 'src-shared', 'tsconfig.base.json', 'package-lock.json'] }), 50);
  write('src-renderer/src/map/.world-basemap.built-from.json', JSON.stringify({ newest, inputs: ['scripts/build-basemap.js', 'package-lock.json'] }), 100);
  // The folders' own times: as old as their files.
  for (const folder of ['src-main', 'src-shared', 'src-renderer', 'src-renderer/src', 'src-renderer/src/map', 'scripts']) utimesSync(join(root, folder), Date.now() / 1000 - 100, Date.now() / 1000 - 100);
}

const stale = (): string => execFileSync(process.execPath, [SCRIPT, '--dry-run', '--root', root], { encoding: 'utf8' });

describe('build-if-stale', () => {
  it('builds nothing when no source changed since the last build', () => {
    builtCheckout();
    expect(stale()).toBe('');
  });

  it('rebuilds only the part whose sources changed', () => {
    builtCheckout();
    write('src-renderer/src/App.svelte', '<p>changed</p>\n', 0);
    expect(stale()).toBe('window: sources changed since the last build\n');
    builtCheckout();
    write('src-main/cli.ts', 'export const changed = 1;\n', 0);
    expect(stale()).toBe('engine: sources changed since the last build\n');
  });

  it('a change every part reads (the lock file) rebuilds them all', () => {
    builtCheckout();
    write('package-lock.json', '{"changed": true}\n', 0);
    expect(stale()).toBe('basemap: sources changed since the last build\nengine: sources changed since the last build\nwindow: sources changed since the last build\n');
  });

  it('builds the offline basemap, which git does not hold, when it is missing or its script changed', () => {
    builtCheckout();
    rmSync(join(root, 'src-renderer/src/map/world-basemap.json'));
    // The window bundles it, so its folder's change rebuilds the window too.
    expect(stale()).toBe('basemap: src-renderer/src/map/world-basemap.json is missing\nwindow: sources changed since the last build\n');
    builtCheckout();
    write('scripts/build-basemap.js', '// changed\n', 0);
    expect(stale()).toBe('basemap: sources changed since the last build\n');
  });

  it('a deleted source counts as a change (its folder changed)', () => {
    builtCheckout();
    unlinkSync(join(root, 'src-shared/udf.ts'));
    expect(stale()).toContain('engine: sources changed');
  });

  it('a missing output, a missing or malformed record rebuilds', () => {
    builtCheckout();
    rmSync(join(root, 'dist-renderer/index.html'));
    writeFileSync(join(root, 'dist/.built-from.json'), 'not json');
    expect(stale()).toBe('engine: no record of the last build\nwindow: dist-renderer/index.html is missing\n');
    writeFileSync(join(root, 'dist/.built-from.json'), JSON.stringify({ newest: 'yesterday' }));
    expect(stale()).toContain('engine: the last build record is from another layout');
  });
});
