import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { qgisProgram } from '../../../src-main/engine/qgis/qgis-program.js';

let root: string;
const program = (dir: string, name: string, mode = 0o755): string => {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'udf-studio-qgis-program-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('qgisProgram', () => {
  it('takes UDF_STUDIO_QGIS first, and never opens anything when it is empty', () => {
    const onPath = program(join(root, 'bin'), 'qgis');
    expect(qgisProgram({ UDF_STUDIO_QGIS: '/opt/qgis/bin/qgis', PATH: join(root, 'bin') }, 'linux')).toBe('/opt/qgis/bin/qgis');
    expect(qgisProgram({ UDF_STUDIO_QGIS: ' ', PATH: join(root, 'bin') }, 'linux')).toBeNull();
    expect(qgisProgram({ PATH: join(root, 'bin') }, 'linux')).toBe(onPath);
  });

  it('finds the first executable qgis on PATH, skipping folders and files that do not run', () => {
    program(join(root, 'not-executable'), 'qgis', 0o644);
    mkdirSync(join(root, 'a-folder', 'qgis'), { recursive: true });
    const found = program(join(root, 'later'), 'qgis');
    expect(qgisProgram({ PATH: [join(root, 'missing'), join(root, 'not-executable'), join(root, 'a-folder'), join(root, 'later')].join(delimiter) }, 'linux')).toBe(found);
    expect(qgisProgram({ PATH: join(root, 'missing') }, 'linux')).toBeNull();
  });

  it('looks in the official app bundles on macOS', () => {
    const bundle = join(root, 'Applications', 'QGIS-LTR.app');
    const inside = program(join(bundle, 'Contents', 'MacOS'), 'QGIS');
    expect(qgisProgram({ PATH: join(root, 'missing') }, 'darwin', [join(root, 'Applications', 'QGIS.app'), bundle])).toBe(inside);
    expect(qgisProgram({ PATH: join(root, 'missing') }, 'linux', [bundle])).toBeNull();
  });
});
