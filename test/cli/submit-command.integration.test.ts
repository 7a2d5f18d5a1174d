import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgList } from '../../src-main/cli/arg-list-file.js';
import { progressText } from '../../src-main/cli/progress-bar.js';
import { metaJson, privateTokenOf } from '../helpers/test-home.js';
import { CLI, cliHomeForEachTest, runCli, startServe } from '../helpers/cli.js';
import { request } from '../helpers/server.js';

const { home, stopAfterTest } = cliHomeForEachTest();

function lines(stdout: Buffer): Array<{ index: number; args: Record<string, unknown>; status: string; error: string | null }> {
  return stdout.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as never);
}

describe('udf-studio submit', () => {
  it('runs a UDF over a JSON list with a progress line, and writes each result', async () => {
    const args = home.write({ 'names.json': '["Ada", "Grace", "Linus"]' });
    const out = join(home.root, 'out');
    const result = await runCli(['submit', 'Hello_World', '--args', args, '-p', 'n=2', '--out', out, '--format', 'json'], home.env);
    expect(result.stderr).toContain('submitted 3 runs of Hello_World to an engine in this process');
    expect(result.stderr).toContain('Hello_World: 3 runs');
    expect(result.stderr).toContain('3/3 done');
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => [line.index, line.args, line.status])).toEqual([
      [0, { name: 'Ada' }, 'succeeded'], [1, { name: 'Grace' }, 'succeeded'], [2, { name: 'Linus' }, 'succeeded'],
    ]);
    expect(readdirSync(out).sort()).toEqual(['0.json', '1.json', '2.json']);
    const grace = JSON.parse(readFileSync(join(out, '1.json'), 'utf8')) as Array<{ greeting: string }>;
    expect(grace.map((row) => row.greeting)).toEqual(['Hello, Grace! (1 of 2)', 'Hello, Grace! (2 of 2)']);
  });

  it('reads CSV arguments and exits 1 naming the failed runs', async () => {
    const args = home.write({ 'runs.csv': 'name,n\nAda,1\n"Lovelace, Ada",-1\n' });
    const result = await runCli(['submit', 'Hello_World', '--args', args, '--max-retry', '0'], home.env);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).map((line) => line.status)).toEqual(['succeeded', 'failed']);
    expect(result.stderr).toContain('run 1 {"name":"Lovelace, Ada","n":"-1"} failed: UDF_ERR_RUNTIME: ValueError: n must be zero or more, got -1');
  });

  it('runs on the running engine, where the job is listed', async () => {
    const { url } = await startServe(['--port', '0', '--workers', '1'], home.env, stopAfterTest);
    const args = home.write({ 'n.json': '[{"name": "x", "n": 1}, {"name": "y", "n": 1}]' });
    const result = await runCli(['submit', 'Hello_World', '--args', args], home.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`to the engine at ${url}`);
    const token = privateTokenOf(home);
    const jobs = (await request(url, '/api/jobs', { headers: { authorization: `Bearer ${token}` } })).json() as { jobs: Array<{ udf: string; status: string; total: number }> };
    expect(jobs.jobs).toEqual([expect.objectContaining({ udf: 'Hello_World', status: 'succeeded', total: 2 })]);
  });

  it('cancels the job on Ctrl-C and exits 1 with every run cancelled', async () => {
    home.write({
      'ws/Sleepy/meta.json': metaJson('Sleepy'),
      'ws/Sleepy/Sleepy.py': '@fused.udf\ndef udf(n: int = 1):\n    import time\n    time.sleep(600)\n    return {"n": n}\n',
    });
    const args = home.write({ 'n.json': '[1, 2, 3]' });
    const child = spawn(process.execPath, [CLI, 'submit', 'Sleepy', '--args', args, '--max-workers', '1', '--workspace', join(home.root, 'ws')], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The bar's first line comes once Ctrl-C is handled: signalled before it, the process would die.
    child.stderr.on('data', (chunk: Buffer) => {
      const before = stderr;
      stderr += chunk.toString();
      if (!before.includes('Sleepy: 3 runs') && stderr.includes('Sleepy: 3 runs')) child.kill('SIGINT');
    });
    expect(await exited).toBe(1);
    expect(stderr).toContain('\ncancelling the job...\n');
    expect(lines(Buffer.from(stdout)).map((line) => line.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('refuses bad command lines and argument files clearly', async () => {
    const files = home.write({
      'not.json': '[1, 2',
      'object.json': '{"a": 1}',
      'empty.json': '[]',
      'bad-header.csv': 'name,2n\nx,1\n',
      'ragged.csv': 'name,n\nx\n',
      'open.csv': 'name\n"never closed\n',
      'ok.json': '["a"]',
    });
    const dir = join(files, '..');
    const cases: Array<[string[], RegExp]> = [
      [['submit'], /submit needs a TARGET/],
      [['submit', 'Hello_World'], /submit needs --args FILE/],
      [['submit', 'Hello_World', '--args', join(dir, 'missing.json')], /cannot read the argument list/],
      [['submit', 'Hello_World', '--args', join(dir, 'not.json')], /is not valid JSON/],
      [['submit', 'Hello_World', '--args', join(dir, 'object.json')], /must hold a JSON array/],
      [['submit', 'Hello_World', '--args', join(dir, 'empty.json')], /has no arguments/],
      [['submit', 'Hello_World', '--args', join(dir, 'bad-header.csv')], /column "2n" is not a parameter name/],
      [['submit', 'Hello_World', '--args', join(dir, 'ragged.csv')], /row 2 has 1 fields; the header has 2/],
      [['submit', 'Hello_World', '--args', join(dir, 'open.csv')], /never closed/],
      [['submit', 'Hello_World', '--args', join(dir, 'ok.json'), '--max-workers', '0'], /--max-workers needs a whole number of at least 1/],
      [['submit', 'Hello_World', '--colour', 'red'], /Unknown option '--colour'/],
      [['submit', 'Hello_World', '--args', join(dir, 'ok.json'), '--format', 'bmp'], /bmp/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, home.env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const noSuchUdf = await runCli(['submit', 'Nope', '--args', home.write({ 'one.json': '[1]' })], home.env);
    expect(noSuchUdf.code).toBe(1);
    expect(noSuchUdf.stderr).toMatch(/UDF_ERR_NOT_FOUND/);
  });
});

describe('argument files and the progress text', () => {
  it('parses JSON and quoted CSV', () => {
    expect(parseArgList('[1, {"a": 2}]', 'x.json')).toEqual([1, { a: 2 }]);
    expect(parseArgList('a,b\r\n"x, ""y""","line\nbreak"\r\n', 'x.csv')).toEqual([{ a: 'x, "y"', b: 'line\nbreak' }]);
    expect(parseArgList('\uFEFFa\n1\n\n', 'x.csv')).toEqual([{ a: '1' }]);
  });

  it('shows done, failed, cancelled and running counts', () => {
    const job = { id: 'j', udf: 'U', status: 'running' as const, total: 4, counts: { pending: 0, running: 1, succeeded: 1, failed: 1, cancelled: 1 }, createdAt: '', finishedAt: null };
    expect(progressText(job)).toBe(`U [${'#'.repeat(23)}${'.'.repeat(7)}] 3/4 done, 1 failed, 1 cancelled, 1 running`);
  });
});
