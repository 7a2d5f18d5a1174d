import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import { checkRuntime, hashFile, readStamp, runtimePython, STAMP_FILE } from '../../../src-main/engine/runtime/python-env.js';
import { RUNTIME_DIR } from '../../helpers/test-home.js';

// Fake runtimes around the real interpreter: the health check's verdicts without building a venv.
const resources = resourcePaths();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'udf-studio-health-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A venv that borrows the real runtime's interpreter and packages (read-only), with the given stamp text. */
function fakeRuntime(stamp: string | null): void {
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(RUNTIME_DIR, 'pyvenv.cfg'), join(dir, 'pyvenv.cfg'));
  symlinkSync(join(RUNTIME_DIR, 'lib'), join(dir, 'lib'));
  symlinkSync(realpathSync(runtimePython(RUNTIME_DIR)), runtimePython(dir));
  if (stamp !== null) writeFileSync(join(dir, STAMP_FILE), stamp);
}

const goodStamp = (requirementsHash = hashFile(resources.requirements) as string): string =>
  JSON.stringify({ requirementsHash, devRequirementsHash: null, resources: resources.runtime, createdAt: new Date().toISOString() });

describe('the runtime health check', () => {
  it('finds the real runtime healthy', async () => {
    expect(await checkRuntime(RUNTIME_DIR, resources)).toEqual({ state: 'ok', problems: [] });
  });

  it('calls a folder that was never set up missing', async () => {
    expect(await checkRuntime(join(dir, 'nothing-here'), resources)).toMatchObject({ state: 'missing', problems: [expect.stringMatching(/no Python runtime at/)] });
  });

  it('calls a venv whose python was deleted broken', async () => {
    fakeRuntime(goodStamp());
    rmSync(runtimePython(dir));
    expect(await checkRuntime(dir, resources)).toMatchObject({ state: 'broken', problems: [expect.stringMatching(/Python is missing/)] });
  });

  it('calls a venv whose python does not start broken', async () => {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(runtimePython(dir), '#!/bin/sh\necho "cannot load libpython" >&2\nexit 3\n');
    chmodSync(runtimePython(dir), 0o755);
    expect(await checkRuntime(dir, resources)).toMatchObject({ state: 'broken', problems: [expect.stringMatching(/does not start: cannot load libpython/)] });
  });

  it.each([
    ['no stamp', null],
    ['a truncated stamp', '{"requirementsHash": "ab'],
    ['an empty object', '{}'],
    ['a stamp with a malformed hash', JSON.stringify({ requirementsHash: 'not-a-hash', devRequirementsHash: null, resources: '/x', createdAt: 'now' })],
    ['JSON null', 'null'],
  ])('calls a runtime with %s broken (its setup never finished)', async (_name, stamp) => {
    fakeRuntime(stamp);
    expect(readStamp(dir)).toBeNull();
    expect(await checkRuntime(dir, resources)).toMatchObject({ state: 'broken', problems: [expect.stringMatching(/no valid setup stamp/)] });
  });

  it('calls a runtime built from other requirements outdated', async () => {
    fakeRuntime(goodStamp('0'.repeat(64)));
    expect(await checkRuntime(dir, resources)).toMatchObject({ state: 'outdated', problems: [expect.stringMatching(/requirements.txt changed/)] });
  });

  it('calls a runtime whose pinned packages differ broken, naming them', async () => {
    const other = mkdtempSync(join(tmpdir(), 'udf-studio-resources-'));
    try {
      mkdirSync(join(other, 'runtime'));
      writeFileSync(join(other, 'runtime', 'requirements.txt'), '# two pins the runtime does not meet\nnumpy==0.0.1\nno-such-package-udf-studio==1.0\n');
      const changed = { ...resources, root: other, requirements: join(other, 'runtime', 'requirements.txt') };
      fakeRuntime(goodStamp(hashFile(changed.requirements) as string));
      const health = await checkRuntime(dir, changed);
      expect(health.state).toBe('broken');
      expect(health.problems).toEqual([expect.stringMatching(/^package numpy is \d+\.\d+\.\d+, requirements.txt pins 0\.0\.1$/), 'package no-such-package-udf-studio is missing (wanted 1.0)']);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('accepts a valid stamp for the current requirements', async () => {
    fakeRuntime(goodStamp());
    expect(await checkRuntime(dir, resources)).toEqual({ state: 'ok', problems: [] });
  });
});
