#!/usr/bin/env node
// `npm start` and `npm run build` build through this: each part (the window's offline basemap, the
// engine with tsc, the window with vite) is rebuilt only when one of its inputs is newer than what
// its last build saw, so a start with nothing changed costs a walk of the source folders, not a build.
// The basemap is generated data (not in git): it is built first, since the window bundles it.
//
// A part's stamp (its `stamp` file) holds the newest input time read *before* its build
// began, so a file saved during a build makes the next start build again. Folder times count too:
// a deleted or renamed file changes its folder's time. `--force` builds every part; `--dry-run`
// prints which parts are stale and builds nothing; `--root DIR` checks another checkout (tests).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STAMP = '.built-from.json';

/**
 * Each part: what it is built from, the file that proves a build happened, where the record of its
 * last build is kept, and the command.
 */
const PARTS = [
  {
    name: 'basemap',
    // The lock file pins the Natural Earth and GeoNames packages the basemap is made from.
    inputs: ['scripts/build-basemap.js', 'package-lock.json'],
    proof: 'src-renderer/src/map/world-basemap.json',
    // A dot file: the window's input walk skips it.
    stamp: 'src-renderer/src/map/.world-basemap.built-from.json',
    command: ['scripts/build-basemap.js'],
  },
  {
    name: 'engine',
    inputs: ['src-main', 'src-shared', 'bench', 'tsconfig.base.json', 'tsconfig.node.json', 'package-lock.json'],
    proof: 'dist/src-main/cli.js',
    stamp: `dist/${STAMP}`,
    command: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node.json'],
  },
  {
    name: 'window',
    inputs: ['src-renderer', 'src-shared', 'tsconfig.base.json', 'package-lock.json'],
    proof: 'dist-renderer/index.html',
    stamp: `dist-renderer/${STAMP}`,
    command: ['node_modules/vite/bin/vite.js', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'],
  },
];

/** The newest modification time (ms) among the paths, walking folders (dot folders skipped). */
function newestInput(root, inputs) {
  let newest = 0;
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    newest = Math.max(newest, stat.mtimeMs);
    if (!stat.isDirectory()) return;
    for (const entry of readdirSync(path)) {
      if (!entry.startsWith('.') && entry !== 'node_modules') visit(join(path, entry));
    }
  };
  for (const input of inputs) visit(join(root, input));
  return newest;
}

/** Why the part must be built, or null when its last build saw every input as it is now. */
function staleReason(root, part) {
  if (!existsSync(join(root, part.proof))) return `${part.proof} is missing`;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, part.stamp), 'utf8'));
  } catch {
    return 'no record of the last build';
  }
  if (typeof stamp?.newest !== 'number' || JSON.stringify(stamp.inputs) !== JSON.stringify(part.inputs)) return 'the last build record is from another layout';
  const newest = newestInput(root, part.inputs);
  return newest > stamp.newest ? 'sources changed since the last build' : null;
}

function build(root, part) {
  const newest = newestInput(root, part.inputs);
  const started = Date.now();
  const result = spawnSync(process.execPath, part.command, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) return false;
  mkdirSync(dirname(join(root, part.stamp)), { recursive: true });
  writeFileSync(join(root, part.stamp), `${JSON.stringify({ newest, inputs: part.inputs })}\n`);
  process.stderr.write(`built the ${part.name} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

/** Builds the stale parts (all with `force`); returns the exit code. `npm start` calls it in-process. */
export function buildStale({ root = fileURLToPath(new URL('..', import.meta.url)), force = false, dryRun = false } = {}) {
  for (const part of PARTS) {
    const reason = force ? 'asked to build' : staleReason(root, part);
    if (reason === null) continue;
    if (dryRun) {
      process.stdout.write(`${part.name}: ${reason}\n`);
      continue;
    }
    if (!build(root, part)) return 1;
  }
  return 0;
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const rootAt = args.indexOf('--root');
  process.exitCode = buildStale({
    ...(rootAt >= 0 && args[rootAt + 1] ? { root: resolve(args[rootAt + 1]) } : {}),
    force: args.includes('--force'),
    dryRun: args.includes('--dry-run'),
  });
}
