import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestHome, metaJson, type TestHome } from '../helpers/test-home.js';
import { runCli } from '../helpers/cli.js';
import { textMatching } from '../helpers/matchers.js';

let home: TestHome;
beforeAll(() => {
  home = makeTestHome();
  home.write({
    'mine/Adder/meta.json': metaJson('Adder', { headers: [{ module_name: 'utils', source_file: 'utils.py' }] }),
    'mine/Adder/Adder.py': '@fused.udf\ndef udf(a: int = 1, b: float = 2.5):\n    from utils import add\n    print("adding")\n    return {"sum": add(a, b)}\n',
    'mine/Adder/utils.py': 'def add(a, b):\n    return a + b\n',
    'mine/Fails/meta.json': metaJson('Fails'),
    'mine/Fails/Fails.py': '@fused.udf\ndef udf():\n    values = []\n    return values[3]\n',
    'script.py': '@fused.udf\ndef udf(word: str = "hi"):\n    return word.upper()\n',
  });
});
afterAll(() => home.remove());

describe('udf-studio run', () => {
  it('runs a bundled example by name, seeding the workspace, and prints CSV', async () => {
    const result = await runCli(['run', 'Hello_World', '--param', 'name=Ada', '-p', 'n=2'], home.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.toString('utf8').trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((line) => line.includes('Ada'))).toBe(true);
  });

  it('runs a folder with a header module, echoing the UDF output to stderr', async () => {
    const result = await runCli(['run', join(home.root, 'mine', 'Adder'), '--param', 'a=2', '--param', 'b=0.5'], home.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({ sum: 2.5 });
    expect(result.stderr).toContain('adding');
  });

  it('runs a .py file and a name from --workspace', async () => {
    const file = await runCli(['run', join(home.root, 'script.py'), '-p', 'word=ok'], home.env);
    expect(file.stdout.toString('utf8')).toBe('OK');
    const named = await runCli(['run', 'Adder', '--workspace', join(home.root, 'mine')], home.env);
    expect(JSON.parse(named.stdout.toString('utf8'))).toEqual({ sum: 3.5 });
  });

  it('writes --out in the format its extension names', async () => {
    const out = join(home.root, 'tile.png');
    const result = await runCli(['run', 'Raster_Gradient', '--z', '3', '--x', '4', '--y', '2', '--out', out], home.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/wrote \d+ bytes of png/);
    expect([...readFileSync(out).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('runs a tile UDF and returns GeoJSON inside the tile', async () => {
    const result = await runCli(['run', 'Tile_Grid', '--z', '12', '--x', '2074', '--y', '1409', '--format', 'geojson'], home.env);
    expect(result.code).toBe(0);
    const collection = JSON.parse(result.stdout.toString('utf8')) as { type: string; features: unknown[] };
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features.length).toBeGreaterThan(0);
  });

  it('fails with the UDF error and its line, exit status 1', async () => {
    const result = await runCli(['run', join(home.root, 'mine', 'Fails')], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/UDF_ERR_RUNTIME: IndexError: list index out of range .*Fails\.py:4\)/);
    expect(result.stdout.length).toBe(0);
  });

  it('shows the frames of the code fused.load brought in, and a nested run\'s error once', async () => {
    const fails = join(home.root, 'mine', 'Fails');
    home.write({
      'nested/Lib.py': '@fused.udf\ndef udf():\n    return 1\n\ndef pick(values):\n    return values[3]\n',
      'nested/Uses_Lib.py': `@fused.udf\ndef udf():\n    lib = fused.load(${JSON.stringify(join(home.root, 'nested', 'Lib.py'))})\n    return lib.pick([])\n`,
      'nested/Runs_Fails.py': `@fused.udf\ndef udf():\n    return fused.run(${JSON.stringify(fails)})\n`,
    });
    const helper = await runCli(['run', join(home.root, 'nested', 'Uses_Lib.py')], home.env);
    expect(helper.code).toBe(1);
    expect(helper.stderr).toContain(`File "${join(home.root, 'nested', 'Lib.py')}", line 6, in pick`);
    expect(helper.stderr).toMatch(/IndexError: list index out of range .*Uses_Lib\.py:4\)/);

    const nested = await runCli(['run', join(home.root, 'nested', 'Runs_Fails.py')], home.env);
    expect(nested.code).toBe(1);
    const stderr = nested.stderr;
    expect(stderr).toMatch(/UDF_ERR_RUNTIME: IndexError: list index out of range \(in the UDF 'Fails'\) .*Runs_Fails\.py:3\)/);
    expect(stderr).toContain("In the UDF 'Fails':");
    expect(stderr).toContain(`File "${join(fails, 'Fails.py')}", line 4, in udf`);
    expect(stderr).not.toContain('UdfRuntimeError');
  });

  it.each([
    [['run'], 2, /run needs a TARGET/],
    [['run', 'a', 'b'], 2, /one TARGET/],
    [['run', 'Hello_World', '--param', 'novalue'], 2, /NAME=VALUE/],
    [['run', 'Hello_World', '--param', '1x=3'], 2, /NAME=VALUE/],
    [['run', 'Hello_World', '--x', '1'], 2, /UDF_ERR_BAD_TILE.*together/],
    [['run', 'Hello_World', '--x', '9', '--y', '0', '--z', '2'], 2, /below 4 at zoom 2/],
    [['run', 'Hello_World', '--format', 'docx'], 2, /unknown format "docx"/],
    [['run', 'Hello_World', '--bogus'], 2, /Unknown option '--bogus'/],
    [['run', 'Hello_World', '--timeout', 'soon'], 2, /positive number/],
    [['run', 'Hello_World', '--param', 'n=many'], 1, /UDF_ERR_PARAM.*\bn\b/],
    [['run', 'Hello_World', '--param', 'colour=red'], 1, /UDF_ERR_UNKNOWN_PARAM.*colour/],
    [['run', 'Hello_World', '--format', 'png'], 1, /UDF_ERR_FORMAT/],
    [['run', 'No_Such_UDF'], 1, /UDF_ERR_NOT_FOUND: no UDF named "No_Such_UDF"/],
    [['run', './no/such/folder'], 1, /does not exist/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ])('udf-studio %j exits %i with a clear message', async (args, code, message) => {
    const result = await runCli(args, home.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
  });

  it('reports a missing runtime instead of crashing', async () => {
    const result = await runCli(['run', 'Hello_World'], { ...home.env, UDF_STUDIO_RUNTIME: join(home.root, 'no-runtime') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/UDF_ERR_RUNTIME_MISSING: no Python runtime .*udf-studio setup/);
  });
});

describe('udf-studio new, doctor, help', () => {
  it('creates a UDF that then runs by name', async () => {
    const created = await runCli(['new', 'My_First'], home.env);
    expect(created.code).toBe(0);
    expect(created.stdout.toString('utf8')).toContain(join(home.root, 'udfs', 'My_First'));
    const ran = await runCli(['run', 'My_First', '-p', 'n=1'], home.env);
    expect(ran.stdout.toString('utf8')).toMatch(/hello world/);
    const again = await runCli(['new', 'My_First'], home.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('doctor reports the runtime, packages and broken UDFs', async () => {
    const brokenHome = makeTestHome();
    try {
      brokenHome.write({ 'ws/Bad/Bad.py': '@fused.udf\ndef udf(:\n  pass\n', 'ws/Good/Good.py': '@fused.udf\ndef udf():\n    return 1\n' });
      const result = await runCli(['doctor', '--json', '--workspace', join(brokenHome.root, 'ws')], brokenHome.env);
      const report = JSON.parse(result.stdout.toString('utf8')) as { runtime: { pythonVersion: string; packages: Record<string, string> }; workspace: { udfs: number; broken: Array<{ name: string; error: string }> }; ok: boolean };
      expect(result.code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.runtime.pythonVersion).toMatch(/^3\.\d+\.\d+$/);
      expect(report.runtime.packages.pandas).toMatch(/^\d/);
      expect(report.workspace.udfs).toBe(2);
      expect(report.workspace.broken).toEqual([{ name: 'Bad', dir: join(brokenHome.root, 'ws', 'Bad'), error: textMatching(/UDF_ERR_SYNTAX.*Bad\.py:2/) }]);
    } finally {
      brokenHome.remove();
    }
  });

  it('doctor lists the GitHub clones and names one that is not a git repository', async () => {
    const clonesHome = makeTestHome();
    try {
      clonesHome.write({ 'clones/udfs.git/HEAD': 'ref: refs/heads/main\n', 'clones/plain/README.md': '# not a repository\n', 'ws/Good/Good.py': '@fused.udf\ndef udf():\n    return 1\n' });
      const good = join(clonesHome.root, 'clones', 'udfs.git');
      const plain = join(clonesHome.root, 'clones', 'plain');
      clonesHome.write({ 'settings.json': JSON.stringify({ githubClones: { 'fusedio/udfs': good, 'someone/plain': plain } }) });
      const result = await runCli(['doctor', '--json', '--workspace', join(clonesHome.root, 'ws')], clonesHome.env);
      const report = JSON.parse(result.stdout.toString('utf8')) as { githubClones: Record<string, string>; problems: string[] };
      expect(report.githubClones).toEqual({ 'fusedio/udfs': good, 'someone/plain': plain });
      expect(report.problems).toEqual([expect.stringMatching(new RegExp(`the clone of someone/plain .*, ${plain}, is not a git repository`))]);
      expect(result.code).toBe(1);
      clonesHome.write({ 'settings.json': '{"githubClones": {"udfs": "/srv"}}' });
      const malformed = await runCli(['doctor', '--workspace', join(clonesHome.root, 'ws')], clonesHome.env);
      expect(malformed.stdout.toString('utf8')).toMatch(/UDF_ERR_SETTINGS: .*"githubClones" names repositories as "org\/repo", got "udfs"/);
    } finally {
      clonesHome.remove();
    }
  });

  it('doctor passes on a healthy home, and says what is missing on an empty one', async () => {
    const healthy = await runCli(['doctor'], home.env);
    expect(healthy.stdout.toString('utf8')).toMatch(/No problems found/);
    expect(healthy.code).toBe(0);
    const empty = await runCli(['doctor'], { ...home.env, UDF_STUDIO_RUNTIME: join(home.root, 'none') });
    expect(empty.code).toBe(1);
    expect(empty.stdout.toString('utf8')).toMatch(/no Python runtime at .*udf-studio setup/);
  });

  it('help lists every command and each command has usage', async () => {
    const help = await runCli(['help'], home.env);
    for (const name of ['run', 'new', 'doctor', 'setup', 'python']) expect(help.stdout.toString('utf8')).toMatch(new RegExp(`^  ${name} `, 'm'));
    const runHelp = await runCli(['run', '--help'], home.env);
    expect(runHelp.stdout.toString('utf8')).toMatch(/^udf-studio run TARGET/);
  });
});

describe('the workspace folders of settings.json', () => {
  it('are where run, doctor and token create look names up, as serve and the window do', async () => {
    const settingsHome = makeTestHome();
    try {
      settingsHome.write({
        'elsewhere/Far_Away/meta.json': metaJson('Far_Away'),
        'elsewhere/Far_Away/Far_Away.py': '@fused.udf\ndef udf():\n    return {"from": "settings"}\n',
        'settings.json': JSON.stringify({ workspaces: [join(settingsHome.root, 'elsewhere')] }),
      });
      const ran = await runCli(['run', 'Far_Away'], settingsHome.env);
      expect(ran.stderr).toBe('');
      expect(JSON.parse(ran.stdout.toString('utf8'))).toEqual({ from: 'settings' });
      const doctor = await runCli(['doctor'], settingsHome.env);
      expect(doctor.stdout.toString('utf8')).toContain(join(settingsHome.root, 'elsewhere'));
      const token = await runCli(['token', 'create', 'Far_Away'], settingsHome.env);
      expect(token.code).toBe(0);
    } finally {
      settingsHome.remove();
    }
  });
});
