import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineEvent } from '../../../src-main/engine/events/engine-events.js';
import { startEngineServer, type EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { RuntimeReportBody } from '../../../src-shared/runtime.js';
import { CONTENT_SECURITY_POLICY } from '../../../src-shared/content-security-policy.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';
import { bearer, openWindowSession, request } from '../../helpers/server.js';
import { SESSION_KEY } from '../../../src-shared/app-api.js';
import { errorWith, textMatching } from '../../helpers/matchers.js';

// A first run on a machine with no usable Python: the server answers at once, setup fails, and the
// window can show why, copy diagnostics and ask for a reset. No venv is built here. The "Python" is
// a script that fails once its gate file exists, so a test can hold setup in progress.
let home: TestHome;
let server: EngineServer;
let events: EngineEvent[];
let gate: string;

beforeEach(async () => {
  home = makeTestHome();
  gate = join(home.root, 'gate');
  writeFileSync(gate, '');
  const fakePython = home.write({ 'not-python': `#!/bin/sh\nwhile [ ! -e "${gate}" ]; do sleep 0.05; done\necho "this is not Python" >&2\nexit 1\n` });
  chmodSync(fakePython, 0o755);
  const env = { ...home.env, UDF_STUDIO_RUNTIME: join(home.root, 'runtime'), UDF_STUDIO_PYTHON: fakePython };
  server = await startEngineServer({ env, port: 0, poolSize: 1, preload: [], setupRuntime: { dev: false } });
  await server.settled();
  events = [];
  server.events.subscribe((event) => events.push(event));
});
afterEach(async () => {
  await server.close();
  home.remove();
});

const report = async (): Promise<RuntimeReportBody> => (await request(server.url, '/api/runtime')).json() as RuntimeReportBody;
const origin = (): Record<string, string> => ({ origin: server.url, host: new URL(server.url).host });
/** The headers of the window's own requests: a session opened through a one-time link. */
const windowSession = async (): Promise<Record<string, string>> => (await openWindowSession(server.url, server.sessionLink())).headers();

describe('the runtime routes while setup fails', () => {
  it('reports the failure with its log and diagnostics', async () => {
    const body = await report();
    expect(body).toMatchObject({ phase: 'failed', reason: 'first-run', step: 'failed', runtimeDir: join(home.root, 'runtime'), error: { code: 'UDF_ERR_RUNTIME_MISSING' } });
    expect(body.error?.message).toMatch(/no usable Python found .*not-python: does not run or has no venv module.*UDF_STUDIO_PYTHON/);
    expect(body.problems).toEqual([`no Python runtime at ${join(home.root, 'runtime')}`]);
    expect(body.log.some((line) => line.startsWith('failed: no usable Python'))).toBe(true);
    expect(body.diagnostics).toContain('UDF Studio runtime diagnostics');
    expect(body.diagnostics).toContain(`runtime:   ${join(home.root, 'runtime')}`);
    expect(body.diagnostics).toMatch(/error: +UDF_ERR_RUNTIME_MISSING: no usable Python/);
    expect(readFileSync(join(home.root, 'logs', 'runtime.log'), 'utf8')).toMatch(/Z failed: no usable Python found/);
  });

  it('answers routes that need the engine with 503 UDF_ERR_RUNTIME_NOT_READY', async () => {
    for (const path of ['/healthz', '/api/cache', '/server/v1/udf-access-token/self']) {
      const response = await request(server.url, path, { headers: bearer(server) });
      expect(response.status, path).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'UDF_ERR_RUNTIME_NOT_READY', message: textMatching(/could not be set up: no usable Python.*GET \/api\/runtime/) } });
    }
    expect(() => server.engine).toThrow(/could not be set up/);
  });

  it('serves the progress and failure page under a strict CSP, and sends / there', async () => {
    const root = await request(server.url, '/');
    expect(root.status).toBe(303);
    expect(root.headers.location).toBe('/runtime');
    const page = await request(server.url, '/runtime');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.text).toContain('<script src="/runtime/runtime-page.js" defer></script>');
    expect(page.text).not.toMatch(/<script>|onclick=/);
    const script = await request(server.url, '/runtime/runtime-page.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain("fetch('/api/runtime'");
    // The page keeps and sends the window's session key as the window does.
    for (const value of [`'#${SESSION_KEY.fragment}='`, `'${SESSION_KEY.storage}'`, `'${SESSION_KEY.header}'`]) expect(script.text).toContain(value);
    expect((await request(server.url, '/runtime/runtime-page.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('resets from the window (its session) or with the private token, and tries setup again', async () => {
    const leftOver = home.write({ 'runtime/bin/half-built': '' });
    const reset = await request(server.url, '/api/runtime/reset', { method: 'POST', headers: await windowSession() });
    expect(reset.status).toBe(202);
    expect(reset.json()).toMatchObject({ phase: 'setting-up', reason: 'reset' });
    await server.settled();
    expect(await report()).toMatchObject({ phase: 'failed', reason: 'reset' });
    const phases = events.filter((e) => e.type === 'runtime' && e.line === null).map((e) => (e.type === 'runtime' ? `${e.status.phase}:${e.status.step}` : ''));
    expect(phases[0]).toBe('setting-up:stopping the workers');
    expect(phases).toContain('setting-up:removing the old runtime');
    expect(phases).toContain('setting-up:creating the Python environment');
    expect(existsSync(leftOver)).toBe(false);
    expect(phases.at(-1)).toBe('failed:failed');
    const withToken = await request(server.url, '/api/runtime/reset', { method: 'POST', headers: bearer(server) });
    expect(withToken.status).toBe(202);
    await server.settled();
  });

  it('refuses a second reset while one runs', async () => {
    rmSync(gate);
    server.resetRuntime();
    expect(() => server.resetRuntime()).toThrow(errorWith({ code: 'UDF_ERR_RUNTIME_BUSY' }));
    const http = await request(server.url, '/api/runtime/reset', { method: 'POST', headers: bearer(server) });
    expect(http.status).toBe(409);
    expect(http.json()).toMatchObject({ error: { code: 'UDF_ERR_RUNTIME_BUSY', message: textMatching(/already being set up \(creating the Python environment\)/) } });
    expect((await report()).phase).toBe('setting-up');
    writeFileSync(gate, '');
    await server.settled();
    expect((await report()).phase).toBe('failed');
  });

  it('#5: a reset with the engine\'s own Origin, which any local process can send, and no credential is refused', async () => {
    const leftOver = home.write({ 'runtime/bin/half-built': '' });
    for (const headers of [origin(), { ...origin(), 'sec-fetch-site': 'same-origin' }]) {
      const forged = await request(server.url, '/api/runtime/reset', { method: 'POST', headers });
      expect(forged.status).toBe(401);
      expect(forged.json()).toMatchObject({ error: { code: 'UDF_ERR_AUTH_REQUIRED' } });
    }
    // Nothing was deleted or restarted; the server still answers, and a reset with a credential runs.
    expect(existsSync(leftOver)).toBe(true);
    expect(await report()).toMatchObject({ phase: 'failed', reason: 'first-run' });
    const withSession = await request(server.url, '/api/runtime/reset', { method: 'POST', headers: await windowSession() });
    expect(withSession.status).toBe(202);
    await server.settled();
    expect(existsSync(leftOver)).toBe(false);
    expect(await report()).toMatchObject({ phase: 'failed', reason: 'reset' });
  });

  it.each([
    ['no Origin and no token', {}],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['an Origin on another port', { origin: 'http://127.0.0.1:1' }],
    ['a wrong Bearer token', { authorization: `Bearer ${'0'.repeat(64)}` }],
    ['a malformed Authorization header', { authorization: 'Bearer' }],
  ])('refuses a reset with %s', async (_name, headers) => {
    const response = await request(server.url, '/api/runtime/reset', { method: 'POST', headers });
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'UDF_ERR_AUTH_REQUIRED' } });
    expect((await report()).phase).toBe('failed');
  });

  it('checks an install request before anything runs: who asks, the body, the package names', async () => {
    const install = (body: unknown, headers: Record<string, string>) =>
      request(server.url, '/api/runtime/packages', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const foreign = await install({ packages: ['utm'] }, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(401);
    expect((await install({ packages: ['utm'] }, origin())).status).toBe(401);
    const notList = await install({ packages: 'utm' }, await windowSession());
    expect([notList.status, notList.json()]).toMatchObject([400, { error: { code: 'UDF_ERR_BAD_REQUEST', message: textMatching(/"packages" must be a list of strings/) } }]);
    const badName = await install({ packages: ['../utm'] }, bearer(server));
    expect([badName.status, badName.json()]).toMatchObject([400, { error: { code: 'UDF_ERR_BAD_PACKAGE', message: textMatching(/"\.\.\/utm" is not a package name/) } }]);
    const badExtra = await install({ packages: [], extras: ['gpu'] }, await windowSession());
    expect([badExtra.status, badExtra.json()]).toMatchObject([400, { error: { code: 'UDF_ERR_BAD_PACKAGE', message: textMatching(/no extra "gpu"/) } }]);
  });

  it('answers wrong methods and unknown page files clearly', async () => {
    expect((await request(server.url, '/api/runtime', { method: 'POST', headers: origin() })).status).toBe(405);
    expect((await request(server.url, '/api/runtime/reset')).status).toBe(405);
    expect((await request(server.url, '/runtime/../credentials')).status).toBe(404);
    expect((await request(server.url, '/runtime/index.html')).status).toBe(404);
  });

  it('stops a setup in progress when it closes (the app quits during first run)', async () => {
    rmSync(gate);
    server.resetRuntime();
    await expect.poll(() => server.runtime.status.step, { timeout: 30_000, interval: 20 }).toBe('creating the Python environment');
    await server.close();
    expect(server.runtime.status.phase).toBe('failed');
  });

  it('keeps engine.json for scripts while it waits, and removes it on close', async () => {
    expect(existsSync(join(home.root, 'engine.json'))).toBe(true);
    await server.close();
    expect(existsSync(join(home.root, 'engine.json'))).toBe(false);
  });
});

describe('the runtime routes on a team server', () => {
  it('ask for the private token, as every route there does', async () => {
    const team = makeTestHome();
    const teamServer = await startEngineServer({ env: team.env, host: '0.0.0.0', port: 0, poolSize: 1, preload: [] });
    const local = `http://127.0.0.1:${teamServer.port}`;
    try {
      for (const path of ['/api/runtime', '/runtime', '/runtime/runtime-page.js', '/']) {
        const response = await request(local, path);
        expect(response.status, path).toBe(401);
        expect(response.json()).toMatchObject({ error: { code: 'UDF_ERR_AUTH_REQUIRED' } });
      }
      const sameOrigin = await request(local, '/api/runtime/reset', { method: 'POST', headers: { origin: local, host: `127.0.0.1:${teamServer.port}` } });
      expect(sameOrigin.status).toBe(401);
      expect((await request(local, '/api/runtime', { headers: bearer(teamServer) })).json()).toMatchObject({ phase: 'ready', reason: null });
      // A window session: its pages open with the cookie alone (a navigation cannot send the key),
      // the API only with the key too.
      const session = await openWindowSession(local, teamServer.sessionLink());
      for (const path of ['/', '/runtime', '/runtime/runtime-page.js']) {
        expect((await request(local, path, { headers: { cookie: session.cookie, 'sec-fetch-site': 'none' } })).status, path).not.toBe(401);
      }
      expect((await request(local, '/api/runtime', { headers: { cookie: session.cookie, 'sec-fetch-site': 'same-origin' } })).status).toBe(401);
      expect((await request(local, '/api/runtime', { headers: session.headers() })).status).toBe(200);
    } finally {
      await teamServer.close();
      team.remove();
    }
  });
});
