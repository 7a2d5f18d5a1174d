import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homeForEachTest } from '../helpers/test-home.js';
import { CLI, runCli } from '../helpers/cli.js';

const home = homeForEachTest();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('udf-studio cluster', () => {
  it('adds, lists and removes clusters', async () => {
    expect((await runCli(['cluster', 'list'], home.env)).stdout.toString()).toContain('no Dask clusters');
    const added = await runCli(['cluster', 'add', 'lab', 'tcp://10.0.0.7:8786'], home.env);
    expect(added.code).toBe(0);
    expect(added.stdout.toString()).toBe('added cluster lab at tcp://10.0.0.7:8786\n');
    expect((await runCli(['cluster', 'list'], home.env)).stdout.toString()).toMatch(/^lab\s+tcp:\/\/10\.0\.0\.7:8786\n$/);
    expect(JSON.parse((await runCli(['cluster', 'list', '--json'], home.env)).stdout.toString())).toEqual([{ name: 'lab', address: 'tcp://10.0.0.7:8786' }]);
    expect((await runCli(['cluster', 'remove', 'lab'], home.env)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(home.root, 'clusters.json'), 'utf8'))).toEqual({ clusters: [] });
  });

  it('refuses bad command lines, addresses and names with exit 2 or 1 and a clear message', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['cluster'], 2, /cluster needs an action/],
      [['cluster', 'start'], 2, /unknown cluster action "start"/],
      [['cluster', 'add', 'lab'], 2, /cluster add needs NAME and the scheduler address/],
      [['cluster', 'add', 'lab', 'http://x:1'], 2, /must start with tcp:\/\//],
      [['cluster', 'add', 'lab', 'tcp://x'], 2, /needs a port/],
      [['cluster', 'add', 'batch', 'tcp://x:1'], 2, /engine name already/],
      [['cluster', 'add', 'lab', 'tcp://x:1', '--workers', '2'], 2, /--workers belongs to "cluster local"/],
      [['cluster', 'remove'], 2, /cluster remove needs the NAME/],
      [['cluster', 'remove', 'nope'], 1, /UDF_ERR_CLUSTER_UNKNOWN: no Dask cluster named "nope"/],
      [['cluster', 'list', 'extra'], 2, /cluster list takes no arguments/],
      [['cluster', 'local', '--workers', '0'], 2, /--workers needs a whole number from 1 to 64, got "0"/],
      [['cluster', 'local', '--threads', 'many'], 2, /--threads needs a whole number/],
      [['cluster', 'local', 'extra'], 2, /cluster local takes options only/],
      [['cluster', 'local', '--bogus'], 2, /Unknown option '--bogus'/],
    ];
    for (const [args, code, message] of cases) {
      const result = await runCli(args, home.env);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.code, args.join(' ')).toBe(code);
    }
  });

  it('starts a scheduler and workers with "cluster local", runs a submit on them, and stops them all on Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'cluster', 'local', '--workers', '2', '--threads', '2', '--add', 'here'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const address = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /scheduler at (tcp:\/\/\S+)\n/.exec(text);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(() => reject(new Error(`cluster local exited early:\n${stderr}`)));
    });
    expect(JSON.parse((await runCli(['cluster', 'list', '--json'], home.env)).stdout.toString())).toEqual([{ name: 'here', address }]);
    const args = home.write({ 'args.json': '["Ada", "Grace"]' });
    const submitted = await runCli(['submit', 'Hello_World', '--args', args, '--engine', 'here', '--format', 'json'], home.env);
    expect(submitted.stderr).toContain('on the Dask cluster here');
    expect(submitted.code).toBe(0);
    const runs = submitted.stdout.toString().trim().split('\n').map((line) => JSON.parse(line) as { status: string; worker: string });
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
    for (const run of runs) expect(run.worker).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+ pid \d+$/);
    const pids = [...stderr.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopping the workers and the scheduler');
    expect(JSON.parse(readFileSync(join(home.root, 'clusters.json'), 'utf8'))).toEqual({ clusters: [] });
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const unknown = await runCli(['submit', 'Hello_World', '--args', args, '--engine', 'here'], home.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UDF_ERR_CLUSTER_UNKNOWN');
  }, 90_000);
});
