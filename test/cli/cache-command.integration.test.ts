import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cliHomeForEachTest, runCli, startServe } from '../helpers/cli.js';
import { request } from '../helpers/server.js';

const { home, stopAfterTest } = cliHomeForEachTest();

interface Stats {
  entries: number;
  byUdf: Array<{ name?: string | null; udfId: string; entries: number }>;
}

async function stats(): Promise<Stats> {
  const result = await runCli(['cache', 'stats', '--json'], home.env);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.toString('utf8')) as Stats;
}

describe('udf-studio cache, with no engine running', () => {
  it('shows what runs cached, and clears one tile, one UDF, or everything', async () => {
    const out = join(home.root, 'out.json');
    const first = await runCli(['run', 'Hello_World', '-p', 'n=1', '--out', out], home.env);
    expect(first.stderr).toMatch(/ms\)/);
    const second = await runCli(['run', 'Hello_World', '-p', 'n=1', '--out', out], home.env);
    expect(second.stderr).toMatch(/from the cache/);
    await runCli(['run', 'Tile_Grid', '--z', '3', '--x', '4', '--y', '2'], home.env);
    await runCli(['run', 'Tile_Grid', '--z', '3', '--x', '4', '--y', '3'], home.env);
    expect((await stats()).entries).toBe(3);

    const tile = await runCli(['cache', 'clear', 'Tile_Grid', '--z', '3', '--x', '4', '--y', '2'], home.env);
    expect(tile.stdout.toString('utf8')).toBe('removed 1 cached result of Tile_Grid for tile 3/4/2\n');
    const udf = await runCli(['cache', 'clear', 'Tile_Grid'], home.env);
    expect(udf.stdout.toString('utf8')).toMatch(/removed 1 cached result of Tile_Grid/);
    const all = await runCli(['cache', 'clear'], home.env);
    expect(all.stdout.toString('utf8')).toMatch(/removed 1 cached result\n/);
    expect((await stats()).entries).toBe(0);
    const text = await runCli(['cache', 'stats'], home.env);
    expect(text.stdout.toString('utf8')).toMatch(/^0 cached results, 0\.0 MiB of 2048\.0 MiB/);
  });

  it('--no-cache runs the UDF even when a result is cached', async () => {
    // Each run of the UDF leaves a line on the shared disk: what ran shows there, not in what is printed.
    const udf = home.write({ 'ws/Counter/Counter.py': '@fused.udf\ndef udf():\n    with open("/mnt/cache/runs.txt", "a") as runs:\n        runs.write("ran\\n")\n    return {"ok": 1}\n' });
    const runs = (): number => readFileSync(join(home.root, 'mnt', 'cache', 'runs.txt'), 'utf8').split('\n').filter(Boolean).length;
    const folder = dirname(udf);
    const out = join(home.root, 'out.json');
    expect((await runCli(['run', folder, '--out', out], home.env)).code).toBe(0);
    const cached = await runCli(['run', folder, '--out', out], home.env);
    expect(cached.stderr).toMatch(/from the cache/);
    expect(runs()).toBe(1);
    const again = await runCli(['run', folder, '--out', out, '--no-cache'], home.env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/from the cache/);
    expect(runs()).toBe(2);
  });

  it.each([
    [['cache'], 2, /needs an action/],
    [['cache', 'purge'], 2, /unknown cache action "purge"/],
    [['cache', 'clear', 'a', 'b'], 2, /at most one UDF/],
    [['cache', 'clear', '--z', '1', '--x', '0', '--y', '0'], 2, /name the UDF too/],
    [['cache', 'clear', 'Hello_World', '--z', '1'], 2, /together/],
    [['cache', 'clear', 'No_Such_UDF'], 1, /UDF_ERR_NOT_FOUND/],
    [['cache', 'stats', 'extra'], 2, /takes no arguments/],
  ])('udf-studio %j exits %i', async (args, code, message) => {
    const result = await runCli(args, home.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});

describe('udf-studio cache, with an engine running', () => {
  it('goes through the engine, so its memory tier forgets what is cleared', async () => {
    const token = (await runCli(['token', 'create', 'Hello_World'], home.env)).stdout.toString('utf8').trim();
    const { url } = await startServe(['--port', '0', '--workers', '1'], home.env, stopAfterTest);
    const path = `/${token}/run/file?format=json`;
    await request(url, path);
    expect((await request(url, path)).headers['x-udf-studio-cache']).toBe('hit');
    const listed = await stats();
    expect(listed.byUdf).toEqual([expect.objectContaining({ name: 'Hello_World', entries: 1 })]);
    const cleared = await runCli(['cache', 'clear', 'Hello_World'], home.env);
    expect(cleared.stdout.toString('utf8')).toMatch(/removed 1 cached result of Hello_World/);
    expect((await request(url, path)).headers['x-udf-studio-cache']).toBe('miss');
  });
});
