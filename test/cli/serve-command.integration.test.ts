import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { metaJson, privateTokenOf } from '../helpers/test-home.js';
import { cliHomeForEachTest, runCli, startServe as startServeProcess, type ServeProcess } from '../helpers/cli.js';
import { request } from '../helpers/server.js';
import { TOKEN_RECHECK_MS } from '../../src-main/engine/tokens/token-store.js';

const { home, stopAfterTest } = cliHomeForEachTest('SIGKILL');

/** Starts `udf-studio serve` for the test home; killed after the test. */
function startServe(args: string[]): Promise<ServeProcess> {
  return startServeProcess(args, home.env, stopAfterTest);
}

function exitOf(proc: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? `signal ${signal}`)));
}

describe('udf-studio serve', () => {
  it('prints its URL once it answers, writes engine.json, and stops cleanly on SIGTERM', async () => {
    const { url, proc } = await startServe(['--port', '0', '--workers', '1']);
    expect((await request(url, '/healthz')).json()).toEqual({ status: 'ok', workers: 1 });
    const info = JSON.parse(readFileSync(join(home.root, 'engine.json'), 'utf8')) as { url: string; pid: number };
    expect(info.url).toBe(url);
    const pythonPids = await workerPids(info.pid);
    expect(pythonPids.length).toBe(1);
    const exited = exitOf(proc);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(home.root, 'engine.json'))).toBe(false);
    for (const pid of pythonPids) expect(isAlive(pid)).toBe(false);
  });

  it('stops cleanly on SIGINT too', async () => {
    const { proc } = await startServe(['--port', '0', '--workers', '1']);
    const exited = exitOf(proc);
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('says clearly when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['serve', '--port', String(port), '--workers', '1'], home.env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use; pick another with --port`));
    } finally {
      blocker.close();
    }
  });

  it('stops a run past --timeout and answers UDF_ERR_TIMEOUT', async () => {
    const workspace = join(home.root, 'workspace');
    home.write({
      'workspace/Sleeps/meta.json': metaJson('Sleeps'),
      'workspace/Sleeps/Sleeps.py': 'import fused\nimport time\n\n@fused.udf\ndef udf():\n    time.sleep(60)\n    return 1\n',
    });
    const { url } = await startServe(['--port', '0', '--workers', '1', '--timeout', '1.5', '--workspace', workspace]);
    const token = privateTokenOf(home);
    const started = performance.now();
    const answer = await request(url, '/api/udfs/Sleeps/run', {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"params": {}}',
    });
    expect(answer.status).toBe(504);
    expect((answer.json() as { error: { code: string } }).error.code).toBe('UDF_ERR_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it.each([[['--port', 'http']], [['--port', '70000']], [['--workers', 'two']], [['--timeout', 'soon']], [['--timeout', '0']], [['extra']]])('refuses %j', async (args) => {
    const result = await runCli(['serve', ...args], home.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/udf-studio: /);
  });
});

describe('udf-studio token', () => {
  it('creates a token that runs its UDF through a server, lists it in full, and revokes it by prefix', async () => {
    const created = await runCli(['token', 'create', 'Hello_World'], home.env);
    expect(created.code).toBe(0);
    const token = created.stdout.toString('utf8').trim();
    expect(token).toMatch(/^fsh_[A-Za-z0-9_-]{32}$/);
    expect(created.stderr).toMatch(/tilejson: http:\/\/127\.0\.0\.1:8765\/server\/v1\/realtime-shared\/fsh_/);

    const { url } = await startServe(['--port', '0', '--workers', '1']);
    const run = await request(url, `/${token}/run/file?name=CLI&n=1&format=csv`);
    expect(run.status).toBe(200);
    expect(run.text).toMatch(/CLI/);

    const listed = await runCli(['token', 'list'], home.env);
    expect(listed.stdout.toString('utf8')).toMatch(new RegExp(`^${token} +Hello_World +enabled`, 'm'));
    const asJson = JSON.parse((await runCli(['token', 'list', '--json'], home.env)).stdout.toString('utf8')) as Array<{ token: string; udf_id: string }>;
    expect(asJson.find((t) => t.token === token)?.udf_id).toMatch(/^[0-9a-f-]{36}$/);
    const revoked = await runCli(['token', 'revoke', `${token.slice(0, 10)}…`], home.env);
    expect(revoked.stdout.toString('utf8')).toMatch(new RegExp(`revoked ${token} \\(Hello_World\\)`));
    // The server trusts a token it looked up for TOKEN_RECHECK_MS; after that the revocation holds.
    await expect.poll(async () => (await request(url, `/${token}/run/file`)).status, { timeout: TOKEN_RECHECK_MS * 10, interval: 100 }).toBe(404);
  });

  it.each([
    [['token'], 2, /needs an action/],
    [['token', 'mint'], 2, /unknown token action "mint"/],
    [['token', 'create'], 2, /needs the NAME/],
    [['token', 'create', 'No_Such'], 1, /UDF_ERR_NOT_FOUND/],
    [['token', 'revoke'], 2, /needs the TOKEN/],
    [['token', 'revoke', 'abc'], 2, /not a shared token/],
    [['token', 'revoke', 'fsh_zzzzzz'], 1, /no shared token starts with fsh_zzzzzz/],
  ])('udf-studio %j exits %i', async (args, code, message) => {
    const result = await runCli(args, home.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});

async function workerPids(parent: number): Promise<number[]> {
  const { readdirSync } = await import('node:fs');
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
    } catch {
      return false;
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
