import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';

// `npm run lint` holds the real tree to these contracts; here each contract is shown to catch the
// import it forbids, in a made-up tree, so that a broken rule cannot pass silently.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Every file of the made-up tree: path → source. */
const TREE: Record<string, string> = {
  'src-shared/pure.ts': "export const x = 1;\n",
  'src-shared/uses-node.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
  'src-main/engine/home.ts': "export const home = '/';\n",
  'src-main/engine/store/database.ts': "import { Engine } from '../engine.js';\nexport const db = Engine;\n",
  'src-main/engine/engine.ts': "import { home } from './home.js';\nexport class Engine { h = home; }\n",
  'src-main/engine/uses-electron.ts': "import { app } from 'electron';\nexport const a = app;\n",
  'src-main/engine/jobs/job.ts': "import { manager } from './job-manager.js';\nexport const job = () => manager;\n",
  'src-main/engine/jobs/job-manager.ts': "import { job } from './job.js';\nexport const manager = () => job;\n",
  'src-main/engine/server/http-server.ts': "import { a } from './routes/a-routes.js';\nimport { b } from './routes/b-routes.js';\nexport const routes = [a, b];\n",
  'src-main/engine/server/routes/a-routes.ts': "export const a = 1;\n",
  'src-main/engine/server/routes/b-routes.ts': "import { a } from './a-routes.js';\nexport const b = a;\n",
  'src-main/cli/serve.ts': "import { Engine } from '../engine/engine.js';\nexport const e = Engine;\n",
  'src-renderer/src/main.ts': "import { x } from '../../src-shared/pure.js';\nimport { home } from '../../src-main/engine/home.js';\nexport const y = [x, home];\n",
};

describe('the layering contracts (.dependency-cruiser.cjs)', () => {
  let dir: string;
  let violations: Violation[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'udf-studio-layers-'));
    for (const [path, source] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    writeFileSync(join(dir, 'tsconfig.test.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowJs: true } }));
    const args = [DEPCRUISE, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src-main', 'src-shared', 'src-renderer'];
    // Violations make depcruise exit non-zero; its JSON report is on stdout either way.
    const stdout = await promisify(execFile)(process.execPath, args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 })
      .then((result) => result.stdout, (error: { stdout?: string }) => error.stdout ?? '');
    violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const found = (rule: string): string[] => violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`);

  it('catches an import cycle', () => {
    expect(found('no-circular')).toEqual(['src-main/engine/jobs/job-manager.ts → src-main/engine/jobs/job.ts']);
  });

  it('keeps src-shared free of Node modules', () => {
    expect(found('shared-is-pure')).toEqual(['src-shared/uses-node.ts → fs']);
  });

  it('keeps Electron out of the engine', () => {
    expect(found('engine-never-imports-electron')).toEqual(['src-main/engine/uses-electron.ts → electron']);
  });

  it('keeps the base of the engine below engine.ts', () => {
    expect(found('engine-base-is-the-bottom')).toEqual(['src-main/engine/store/database.ts → src-main/engine/engine.ts']);
  });

  it('keeps route modules apart', () => {
    expect(found('routes-independent')).toEqual(['src-main/engine/server/routes/b-routes.ts → src-main/engine/server/routes/a-routes.ts']);
  });

  it('keeps the window on src-shared', () => {
    expect(found('renderer-is-a-browser-page')).toEqual(['src-renderer/src/main.ts → src-main/engine/home.ts']);
  });

  it('lets a front end import the engine', () => {
    expect(violations.filter((v) => v.from.startsWith('src-main/cli/'))).toEqual([]);
  });
});

describe('the ESLint config (eslint.config.js)', () => {
  // A file of the real tree, linted with other text: the type-checked rules need its program.
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (text: string): Promise<string[]> => {
    const [result] = await eslint.lintText(text, { filePath: join(ROOT, 'src-main', 'engine', 'home.ts') });
    return (result?.messages ?? []).map((message) => `${message.ruleId ?? 'fatal'}: ${message.line}`);
  };

  it('reports floating and misused promises', async () => {
    const text = [
      'export async function save(): Promise<void> { await Promise.resolve(); }',
      'export function later(): void {',
      '  save();',
      '  setTimeout(save, 10);',
      '  if (save()) return;',
      '}',
      '',
    ].join('\n');
    expect(await lint(text)).toEqual([
      '@typescript-eslint/no-floating-promises: 3',
      '@typescript-eslint/no-misused-promises: 4',
      '@typescript-eslint/no-misused-promises: 5',
    ]);
  }, 120_000);

  it('accepts a promise whose rejection is handled', async () => {
    const text = 'export async function save(): Promise<void> { await Promise.resolve(); }\nexport function later(): void {\n  save().catch(() => undefined);\n}\n';
    expect(await lint(text)).toEqual([]);
  }, 120_000);
});
