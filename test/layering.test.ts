import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('layering', () => {
  it('keeps Electron out of the engine and the CLI', () => {
    const offenders = [...sourceFiles(join(ROOT, 'src-main', 'engine')), ...sourceFiles(join(ROOT, 'src-main', 'cli')), join(ROOT, 'src-main', 'cli.ts')]
      .filter((file) => importsOf(file).some((spec) => spec === 'electron' || spec.startsWith('electron/') || spec.includes('/electron/')))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });

  it('keeps src-shared free of Node modules and of the other trees', () => {
    const offenders = sourceFiles(join(ROOT, 'src-shared')).flatMap((file) =>
      importsOf(file).filter((spec) => !spec.startsWith('./')).map((spec) => `${relative(ROOT, file)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });
});
