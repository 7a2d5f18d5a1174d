/**
 * A throw-away home folder for a test, using the real runtime that `npm install` built.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { homePaths } from '../../src-main/engine/home.js';

export interface TestHome {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Writes files under the home (paths relative to it); returns the absolute path of the first. */
  write(files: Record<string, string>): string;
  remove(): void;
}

/** The runtime the tests use: the developer's (or CI's) real one, found before the home is overridden. */
export const RUNTIME_DIR = homePaths(process.env).runtime;

export function makeTestHome(prefix = 'udf-studio-test-'): TestHome {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, UDF_STUDIO_HOME: root, UDF_STUDIO_RUNTIME: RUNTIME_DIR };
  return {
    root,
    env,
    write(files) {
      let first = '';
      for (const [relative, content] of Object.entries(files)) {
        const path = join(root, relative);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
        first ||= path;
      }
      return first;
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface HomeForEachTestOptions {
  /** The home folder's name prefix (see makeTestHome). */
  prefix?: string;
  /** Stops what a test started in its home, before the home is removed. */
  cleanup?: () => unknown;
}

/**
 * A fresh home before each test of the file, removed after it (once `cleanup` has run). The object
 * answered stands for the home of the test under way.
 */
export function homeForEachTest(options: HomeForEachTestOptions = {}): TestHome {
  let current: TestHome | null = null;
  beforeEach(() => {
    current = makeTestHome(options.prefix);
  });
  afterEach(async () => {
    try {
      await options.cleanup?.();
    } finally {
      current?.remove();
      current = null;
    }
  });
  const now = (): TestHome => {
    if (!current) throw new Error('a test home exists only while a test runs');
    return current;
  };
  return {
    get root() { return now().root; },
    get env() { return now().env; },
    write: (files) => now().write(files),
    remove: () => now().remove(),
  };
}

/** The private token an engine wrote to the home's credentials file. */
export function privateTokenOf(home: TestHome): string {
  return (JSON.parse(readFileSync(join(home.root, 'credentials'), 'utf8')) as { access_token: string }).access_token;
}

/** A minimal meta.json for a UDF folder, in the 0.0.3 shape. */
export function metaJson(name: string, udf: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0.0.3',
    ...extra,
    job_config: {
      version: '0.0.3', name: null, metadata: null,
      steps: [{ type: 'udf', udf: { type: 'geopandas_v2', name, entrypoint: 'udf', parameters: {}, source: `${name}.py`, headers: [], metadata: { 'fused:name': name }, ...udf } }],
    },
  }, null, 2);
}
