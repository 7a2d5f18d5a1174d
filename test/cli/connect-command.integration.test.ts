import { describe, expect, it } from 'vitest';
import { cliHomeForEachTest, runCli, startServe } from '../helpers/cli.js';
import { privateTokenOf } from '../helpers/test-home.js';

const { home, stopAfterTest } = cliHomeForEachTest();

describe('udf-studio connect', () => {
  it('prints the official client lines with the token and the port the next start uses', async () => {
    const fresh = await runCli(['connect'], home.env);
    expect(fresh.code).toBe(0);
    const lines = fresh.stdout.toString('utf8');
    expect(lines).toContain('os.environ["FUSED_AUTH_TOKEN_TYPE"] = "Fused-Env-Bearer"');
    expect(lines).toContain(`os.environ["FUSED_AUTH_TOKEN"] = "${privateTokenOf(home)}"`);
    expect(lines).toContain('fused._env("http://127.0.0.1:8765")');

    home.write({ 'settings.json': JSON.stringify({ port: 9123 }) });
    expect((await runCli(['connect'], home.env)).stdout.toString('utf8')).toContain('fused._env("http://127.0.0.1:9123")');
  });

  it('names the running engine when there is one', async () => {
    const serve = await startServe(['--port', '0'], home.env, stopAfterTest);
    const lines = (await runCli(['connect'], home.env)).stdout.toString('utf8');
    expect(lines).toContain(`fused._env("${serve.url}")`);
  }, 60_000);

  it('takes no arguments, and says so', async () => {
    const refused = await runCli(['connect', 'extra'], home.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/connect takes no arguments, got extra/);
    const flag = await runCli(['connect', '--token', 'x'], home.env);
    expect(flag.code).toBe(2);
    expect(flag.stdout.length).toBe(0);
  });
});
