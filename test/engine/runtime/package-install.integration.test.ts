import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import { runCommand } from '../../../src-main/engine/runtime/command.js';
import { installPackages, reinstallUserPackages, type InstallOptions } from '../../../src-main/engine/runtime/package-install.js';
import { inspectRuntime } from '../../../src-main/engine/runtime/python-env.js';
import type { WorkerPool } from '../../../src-main/engine/runtime/worker-pool.js';
import { makeLayeredRuntime, type LayeredRuntime } from '../../helpers/layered-runtime.js';
import { expectOk, inlineUdf, makePool, runOf } from '../../helpers/pool.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

// A small real package from the index that Fused's image has (utm 0.8.1) and the runtime does not,
// installed into a layer over the real runtime, which never changes.
const PACKAGE = 'utm';
const FUSED_VERSION = '0.8.1';
const IMPORTS_IT = inlineUdf('Needs_Utm', `@fused.udf
def udf():
    import utm
    return {"zone": utm.from_latlon(48.858, 2.294)[2]}
`);

let layer: LayeredRuntime;
let home: TestHome;
let pool: WorkerPool | undefined;
const resources = resourcePaths();

beforeAll(async () => {
  layer = await makeLayeredRuntime();
  home = makeTestHome('udf-studio-install-');
});
afterAll(() => {
  layer.remove();
  home.remove();
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const options = (): InstallOptions => ({ runtimeDir: layer.dir, resources, userPackagesFile: join(home.root, 'user-packages.json'), env: home.env });
const sitePackages = (): string[] => readdirSync(layer.sitePackages).sort();

async function failure(promise: Promise<unknown>): Promise<UdfStudioError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(UdfStudioError);
  return error as UdfStudioError;
}

describe('installing packages into the runtime', () => {
  it('refuses what is not a package name, and changes nothing', async () => {
    const before = sitePackages();
    for (const bad of ['../etc', 'https://example.invalid/x.whl', '-e .', 'pandas>=2', 'a b', '']) {
      const error = await failure(installPackages([bad], [], options()));
      expect(error.code).toBe('UDF_ERR_BAD_PACKAGE');
    }
    expect((await failure(installPackages(['mercantile'], ['gpu'], options()))).code).toBe('UDF_ERR_BAD_PACKAGE');
    expect(sitePackages()).toEqual(before);
    expect(existsSync(options().userPackagesFile)).toBe(false);
  });

  it('says plainly when the index has no such package, and leaves the runtime as it was', async () => {
    const before = sitePackages();
    const error = await failure(installPackages(['udf-studio-no-such-package-zq7'], [], options()));
    expect(error.code).toBe('UDF_ERR_INSTALL_FAILED');
    expect(error.message).toMatch(/package index has no udf-studio-no-such-package-zq7.*the runtime is as it was/s);
    expect(sitePackages()).toEqual(before);
  }, 120_000);

  it('never moves one of the runtime\'s own pins', async () => {
    const error = await failure(installPackages(['pandas==3.1.1'], [], options()));
    expect(error.code).toBe('UDF_ERR_INSTALL_FAILED');
    expect(error.message).toMatch(/pandas is part of the runtime, pinned at 2\.3\.3/);
    const same = await installPackages(['pandas'], [], options());
    expect(same).toMatchObject({ installed: {}, alreadyInRuntime: { pandas: '2.3.3' } });
  });

  it('a missing import names the package and Fused\'s version; after install the same worker imports it', async () => {
    pool = makePool(home, { python: layer.python });
    await pool.start();
    const [pid] = pool.workerPids();
    const missing = await pool.run(runOf(IMPORTS_IT));
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.error).toMatchObject({
      code: 'UDF_ERR_MISSING_PACKAGE', line: 3,
      missingPackage: { module: 'utm', package: PACKAGE, fusedVersion: FUSED_VERSION, inFusedImage: true, requirement: `${PACKAGE}==${FUSED_VERSION}` },
    });
    expect(missing.error.message).toMatch(/No module named 'utm'.*Fused's image has utm==0\.8\.1.*udf-studio install utm/s);

    const lines: string[] = [];
    const result = await installPackages([PACKAGE], [], { ...options(), onLine: (line) => lines.push(line) });
    expect(result.installed).toEqual({ [PACKAGE]: FUSED_VERSION });
    expect(lines.join('\n')).toMatch(/Fused's image has 0\.8\.1/);
    expect(JSON.parse(readFileSync(options().userPackagesFile, 'utf8'))).toEqual({ packages: { [PACKAGE]: FUSED_VERSION }, extras: [] });

    const again = await pool.run(runOf(IMPORTS_IT));
    expect(JSON.parse(Buffer.from(expectOk(again).body).toString('utf8'))).toEqual({ zone: 31 });
    expect(pool.workerPids()).toEqual([pid]);
  }, 120_000);

  it('doctor lists what the user added, and a repair installs it again', async () => {
    const report = await inspectRuntime(layer.dir, resources, options().userPackagesFile);
    expect(report.userPackages).toEqual({ [PACKAGE]: { recorded: FUSED_VERSION, installed: FUSED_VERSION } });
    expect(report.problems.filter((problem) => problem.includes(PACKAGE))).toEqual([]);

    const removed = await runCommand(layer.python, ['-m', 'pip', 'uninstall', '-y', '--disable-pip-version-check', PACKAGE]);
    expect(removed.code).toBe(0);
    const broken = await inspectRuntime(layer.dir, resources, options().userPackagesFile);
    expect(broken.problems).toContainEqual(expect.stringMatching(/package utm==0\.8\.1, which you added, is missing/));

    expect(await reinstallUserPackages(options())).toEqual([]);
    const repaired = await inspectRuntime(layer.dir, resources, options().userPackagesFile);
    expect(repaired.userPackages[PACKAGE]?.installed).toBe(FUSED_VERSION);
  }, 120_000);
});
