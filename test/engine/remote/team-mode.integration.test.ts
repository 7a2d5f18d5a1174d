import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { bearer, request, serverForFile } from '../../helpers/server.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let server: EngineServer;
let local: string;

serverForFile((started) => {
  ({ home, server } = started);
  local = `http://127.0.0.1:${server.port}`;
}, { udfs: { Echo: '@fused.udf\ndef udf(word: str = "hi"):\n    return {"word": word}\n' }, poolSize: 1, options: { host: '0.0.0.0' } });

describe('team mode (serve --host 0.0.0.0)', () => {
  it('needs a token on every route, /healthz included, and accepts any Host', async () => {
    expect(server.services.teamMode).toBe(true);
    expect((await request(local, '/healthz')).status).toBe(401);
    expect((await request(local, '/healthz', { headers: { ...bearer(server), host: 'team.example.org:8765' } })).json()).toMatchObject({ status: 'ok' });
    expect((await request(local, '/server/v1/udf/self', { headers: { host: 'team.example.org' } })).status).toBe(401);
    const created = await request(local, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: 'Echo' }) });
    const token = (created.json() as { token: string }).token;
    const shared = await request(local, `/${token}/run/file?format=json&word=far`, { headers: { host: 'team.example.org' } });
    expect(shared.status).toBe(200);
    expect(shared.json()).toEqual({ word: 'far' });
    expect((await request(local, '/fsh_0000000000000000000000000000000/run/file')).status).toBe(404);
  });

  it('records a loopback URL in engine.json for scripts on this machine', () => {
    const info = JSON.parse(readFileSync(join(home.root, 'engine.json'), 'utf8')) as { url: string };
    expect(info.url).toBe(local);
  });

  it('serve warns when it listens beyond loopback, and refuses a host that is not an address', async () => {
    const other = makeTestHome();
    let child: ReturnType<typeof spawn> | null = null;
    try {
      const bad = await runCli(['serve', '--host', 'every where'], other.env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--host needs an IP address/);
      child = spawn(process.execPath, [CLI, 'serve', '--host', '0.0.0.0', '--port', '0', '--workers', '1'], { env: other.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const serving = child;
      let stderr = '';
      serving.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        serving.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
        serving.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
      });
      const closed = new Promise((resolve) => serving.on('close', resolve));
      serving.kill('SIGTERM');
      await closed;
      expect(stderr).toMatch(/warning: team mode: listening on 0\.0\.0\.0.*Every request needs a token/);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      other.remove();
    }
  });
});
