import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBasePython, isFusedPython } from '../../../src-main/engine/runtime/python-discovery.js';
import { runtimePython } from '../../../src-main/engine/runtime/python-env.js';
import { RUNTIME_DIR } from '../../helpers/test-home.js';

// Machines laid out in a temporary folder around the real runtime's interpreter (a 3.12 on this
// machine's kind, as on CI): a PATH of stand-in commands and a pyenv root of version folders.
const real312 = realpathSync(runtimePython(RUNTIME_DIR));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'udf-studio-pythons-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A command on the stand-in PATH: a shell script. */
function command(name: string, script: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, 'bin', name), 0o755);
}

/** A pyenv version folder whose python3 is the real interpreter. */
function pyenvVersion(version: string): void {
  mkdirSync(join(dir, 'pyenv', 'versions', version, 'bin'), { recursive: true });
  symlinkSync(real312, join(dir, 'pyenv', 'versions', version, 'bin', 'python3'));
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Only the stand-ins on PATH (their #!/bin/sh needs no PATH): the machine's own Pythons stay out.
  return { PATH: join(dir, 'bin'), HOME: join(dir, 'home'), PYENV_ROOT: join(dir, 'pyenv'), ...extra };
}

describe('finding the Python that creates the runtime', () => {
  it('skips a python3.12 that does not run (pyenv\'s shim for an unselected version) and finds pyenv\'s 3.12', async () => {
    command('python3.12', 'echo "pyenv: python3.12: command not found" >&2; exit 127');
    pyenvVersion('3.12.1');
    pyenvVersion('3.11.7'); // older and not Fused's: not chosen although found
    const found = await findBasePython(env());
    expect(found).toMatchObject({ command: join(dir, 'pyenv', 'versions', '3.12.1', 'bin', 'python3'), matchesFused: true });
    expect(isFusedPython(found.version)).toBe(true);
  });

  it('asks `pyenv root` where pyenv keeps its versions', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(join(elsewhere, 'versions', '3.12.4', 'bin'), { recursive: true });
    symlinkSync(real312, join(elsewhere, 'versions', '3.12.4', 'bin', 'python3'));
    command('pyenv', `[ "$1" = root ] && echo ${elsewhere}`);
    expect((await findBasePython(env({ PYENV_ROOT: undefined }))).command).toBe(join(elsewhere, 'versions', '3.12.4', 'bin', 'python3'));
  });

  it('takes the newest 3.10+ when there is no 3.12, and says it is not Fused\'s', async () => {
    command('python3.11', 'echo 3.11.9; exit 0');
    command('python3.10', 'echo 3.10.14; exit 0');
    command('python3', 'echo 3.9.18; exit 0');
    const found = await findBasePython(env());
    expect(found).toEqual({ command: 'python3.11', version: '3.11.9', matchesFused: false });
  });

  it('lets UDF_STUDIO_PYTHON win, and names it when it does not run', async () => {
    pyenvVersion('3.12.1');
    command('my-python', 'echo 3.11.9; exit 0');
    expect(await findBasePython(env({ UDF_STUDIO_PYTHON: 'my-python' }))).toMatchObject({ command: 'my-python', matchesFused: false });
    await expect(findBasePython(env({ UDF_STUDIO_PYTHON: join(dir, 'no-such-python') }))).rejects.toThrow(/no usable Python found .*no-such-python: not found.*UDF_STUDIO_PYTHON names one that does not work/);
  });

  it('says what it tried when nothing fits', async () => {
    command('python3', 'echo 3.8.18; exit 0');
    await expect(findBasePython(env())).rejects.toThrow(/no usable Python found .*python3: Python 3\.8\.18 is older than 3\.10.*install Python 3\.12/);
  });
});
