import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBasePython, isFusedPython, MAX_PYTHON, MIN_PYTHON } from '../../../src-main/engine/runtime/python-discovery.js';
import { resourcePaths } from '../../../src-main/engine/resources.js';
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

  it('takes the newest supported Python when there is no 3.12, and says it is not Fused\'s', async () => {
    command('python3.14', 'echo 3.14.0; exit 0'); // the pins have no wheels for it yet
    command('python3.13', 'echo 3.13.5; exit 0');
    command('python3.11', 'echo 3.11.9; exit 0');
    command('python3', 'echo 3.10.14; exit 0');
    const found = await findBasePython(env());
    expect(found).toEqual({ command: 'python3.13', version: '3.13.5', matchesFused: false });
  });

  it('keeps to the range the pins support, even for UDF_STUDIO_PYTHON', async () => {
    command('python3.14', 'echo 3.14.0; exit 0');
    await expect(findBasePython(env({ UDF_STUDIO_PYTHON: 'python3.14' }))).rejects.toThrow(/python3\.14: Python 3\.14\.0 is newer than the runtime's pinned packages support \(3\.11 to 3\.13\)/);
  });

  it('states the same range as the runtime\'s pyproject.toml', () => {
    const pyproject = readFileSync(join(resourcePaths().runtime, 'pyproject.toml'), 'utf8');
    expect(pyproject).toContain(`requires-python = ">=${MIN_PYTHON.join('.')},<${MAX_PYTHON[0]}.${MAX_PYTHON[1] + 1}"`);
  });

  it('lets UDF_STUDIO_PYTHON win, and names it when it does not run', async () => {
    pyenvVersion('3.12.1');
    command('my-python', 'echo 3.11.9; exit 0');
    expect(await findBasePython(env({ UDF_STUDIO_PYTHON: 'my-python' }))).toMatchObject({ command: 'my-python', matchesFused: false });
    await expect(findBasePython(env({ UDF_STUDIO_PYTHON: join(dir, 'no-such-python') }))).rejects.toThrow(/no usable Python found .*no-such-python: not found.*UDF_STUDIO_PYTHON names one that does not work/);
  });

  it('says what it tried when nothing fits', async () => {
    command('python3', 'echo 3.8.18; exit 0');
    await expect(findBasePython(env())).rejects.toThrow(/no usable Python found .*python3: Python 3\.8\.18 is older than the runtime's pinned packages support \(3\.11 to 3\.13\).*install Python 3\.12 \(or 3\.11 to 3\.13\)/);
  });
});
