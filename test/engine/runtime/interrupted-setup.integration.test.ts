/**
 * #18: an interrupted setup. The runtime counts as set up only once its stamp is written, last;
 * a venv without it is refused by `udf-studio run` with advice, and `udf-studio setup` repairs it,
 * even one whose creation stopped before pip was in place. Real venvs in a temp home, with a
 * requirements file of no packages so that setup itself, not the package index, is what runs.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../../src-main/engine/runtime/command.js';
import { findBasePython } from '../../../src-main/engine/runtime/python-discovery.js';
import { readStamp, runtimePython } from '../../../src-main/engine/runtime/python-env.js';
import { setupRuntime } from '../../../src-main/engine/runtime/runtime-setup.js';
import { resourcePaths, type ResourcePaths } from '../../../src-main/engine/resources.js';
import { runCli } from '../../helpers/cli.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let resources: ResourcePaths;
let runtimeDir: string;

beforeAll(() => {
  home = makeTestHome('udf-studio-setup-');
  runtimeDir = join(home.root, 'runtime');
  const sources = join(home.root, 'resources', 'runtime');
  mkdirSync(sources, { recursive: true });
  const nothing = '# no packages: the test is about setup, not the index\n';
  writeFileSync(join(sources, 'requirements.txt'), nothing);
  writeFileSync(join(sources, 'requirements-setup.txt'), nothing);
  resources = { ...resourcePaths(), runtime: sources, requirements: join(sources, 'requirements.txt'), setupRequirements: join(sources, 'requirements-setup.txt') };
});

afterAll(() => home?.remove());

const setup = (extra: Partial<Parameters<typeof setupRuntime>[2]> = {}): ReturnType<typeof setupRuntime> => setupRuntime(runtimeDir, resources, { dev: false, env: home.env, ...extra });

/** `udf-studio run` with the home's runtime at `runtimeDir`. */
const run = () => runCli(['run', 'Hello_World', '--param', 'name=Ada'], { ...home.env, UDF_STUDIO_RUNTIME: runtimeDir });

describe('#18: an interrupted setup', () => {
  it('#18: a venv whose creation stopped before pip is refused by run and repaired by setup', async () => {
    // What `python -m venv` leaves when the app is closed before ensurepip: an interpreter, no pip, no stamp.
    const base = await findBasePython(home.env);
    expect((await runCommand(base.command, ['-m', 'venv', '--without-pip', runtimeDir])).code).toBe(0);

    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UDF_ERR_RUNTIME_NOT_READY: the runtime at .* was not set up to the end .*run "udf-studio setup" to repair it/);

    const lines: string[] = [];
    await expect(setup({ onProgress: (line) => lines.push(line) })).resolves.toMatchObject({ changed: true });
    expect(lines).toContain('the runtime\'s setup did not finish (it has no pip); building it again');
    expect(readStamp(runtimeDir)).not.toBeNull();
    expect((await runCommand(runtimePython(runtimeDir), ['-m', 'pip', '--version'])).code).toBe(0);
  }, 300_000);

  it('#18: a setup stopped while it installs leaves no stamp, so run refuses the runtime until setup finishes it', async () => {
    expect(readStamp(runtimeDir)).not.toBeNull();
    const controller = new AbortController();
    // A repair (as after workers failed) stopped as soon as it starts installing, as closing the app does.
    const stopped = setup({ force: true, signal: controller.signal, onStep: (step) => step === 'installing packages' && controller.abort() });
    await expect(stopped).rejects.toThrow();
    expect(readStamp(runtimeDir)).toBeNull();
    const refused = await run();
    expect(refused.stderr).toMatch(/UDF_ERR_RUNTIME_NOT_READY/);

    await expect(setup()).resolves.toMatchObject({ changed: true });
    expect(readStamp(runtimeDir)).not.toBeNull();
  }, 300_000);
});
