import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, cliHomeForEachTest } from '../helpers/cli.js';
import { request } from '../helpers/server.js';

// `serve --open` on a machine where the runtime cannot be set up: it still listens, says what failed
// in the terminal, and the window's page has the details.
const { home, stopAfterTest } = cliHomeForEachTest('SIGKILL');

describe('udf-studio serve --open', () => {
  it('serves the failure page when setup fails, and says so on stderr', async () => {
    const env = { ...home.env, DISPLAY: '', WAYLAND_DISPLAY: '', UDF_STUDIO_RUNTIME: join(home.root, 'runtime'), UDF_STUDIO_PYTHON: join(home.root, 'no-python') };
    const proc = spawn(process.execPath, [CLI, 'serve', '--open', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    stopAfterTest(proc);
    const output = { stdout: '', stderr: '' };
    proc.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    await expect.poll(() => output.stderr, { timeout: 10_000 }).toContain('runtime failed');
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output.stdout)?.[1] as string;
    // The URL to open is a one-time window link; until the runtime is ready it leads to /runtime.
    expect(output.stdout).toMatch(new RegExp(`^listening on ${url}\\nno display: open ${url}/session/[A-Za-z0-9_-]{40,} in a browser\\n$`));
    const link = /open (\S+) in a browser/.exec(output.stdout)?.[1] as string;
    const opened = await request(url, new URL(link).pathname);
    expect(opened.status).toBe(303);
    expect((await request(url, '/', { headers: { cookie: String(opened.headers['set-cookie']).split(';')[0] as string } })).headers.location).toBe('/runtime');
    expect(output.stderr).toMatch(new RegExp(`runtime failed: no usable Python found .*no-python: not found.* \\(details: ${url}/runtime\\)\\n`));
    const report = (await request(url, '/api/runtime')).json() as { phase: string; reason: string };
    expect(report).toMatchObject({ phase: 'failed', reason: 'first-run' });
    expect((await request(url, '/runtime')).status).toBe(200);
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
