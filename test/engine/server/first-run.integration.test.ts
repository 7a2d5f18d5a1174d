import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineEvents, type EngineEvent } from '../../../src-main/engine/events/engine-events.js';
import { checkRuntime, readStamp, runtimePython, STAMP_FILE } from '../../../src-main/engine/runtime/python-env.js';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import { startEngineServer, type EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { RuntimeSetupReason } from '../../../src-shared/runtime.js';
import { makeTestHome } from '../../helpers/test-home.js';
import { bearer, request } from '../../helpers/server.js';

// The one test that builds a real venv from the package index (uv's cache makes it quicker), then
// breaks it three ways and watches the app's start repair it. Slow by nature. A reset's rebuild is the
// same setup from scratch; runtime-routes.integration.test.ts covers its removal and its phases.
const SLOW = 600_000;
const home = makeTestHome('udf-studio-first-run-');
const runtimeDir = join(home.root, 'fresh-runtime');
const env = { ...home.env, UDF_STUDIO_RUNTIME: runtimeDir };
afterAll(() => home.remove());

interface Started {
  server: EngineServer;
  events: EngineEvent[];
}

/** Starts the app's server; the first answers come before the runtime is ready. */
async function start(): Promise<Started> {
  const events: EngineEvent[] = [];
  const bus = new EngineEvents();
  bus.subscribe((event) => events.push(event));
  const server = await startEngineServer({ env, port: 0, poolSize: 1, preload: [], setupRuntime: { dev: false }, events: bus });
  return { server, events };
}

/** Runs Hello_World over HTTP, closes the server and checks its worker is gone. */
async function runThenClose(server: EngineServer): Promise<void> {
  const response = await request(server.url, '/server/v1/realtime/local/api/v1/run/udf/saved/me/Hello_World?format=csv&name=Ada', { headers: bearer(server) });
  expect(response.status, response.text).toBe(200);
  expect(response.text).toContain('Ada');
  const pids = server.engine.pool.workerPids();
  expect(pids.length).toBe(1);
  await server.close();
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
}

/** The setup reason and the steps the events reported. */
function stepsOf(events: EngineEvent[]): { reasons: Array<RuntimeSetupReason | null>; steps: string[]; lines: string[] } {
  const runtime = events.flatMap((event) => (event.type === 'runtime' ? [event] : []));
  return {
    reasons: [...new Set(runtime.map((event) => event.status.reason))],
    steps: [...new Set(runtime.filter((event) => event.line === null).map((event) => `${event.status.phase}:${event.status.step}`))],
    lines: runtime.flatMap((event) => (event.line === null ? [] : [event.line])),
  };
}

describe('first run and repair of the runtime', () => {
  it('creates the runtime on first launch while the server answers, with progress events', async () => {
    const { server, events } = await start();
    const early = await request(server.url, '/server/v1/realtime/local/api/v1/run/udf/saved/me/Hello_World', { headers: bearer(server) });
    expect(early.status).toBe(503);
    expect(early.json()).toMatchObject({ error: { code: 'UDF_ERR_RUNTIME_NOT_READY' } });
    expect((await request(server.url, '/api/runtime')).json()).toMatchObject({ reason: 'first-run' });
    await server.settled();
    expect(server.runtime.status).toMatchObject({ phase: 'ready', reason: 'first-run', error: null });
    const { steps, lines } = stepsOf(events);
    expect(steps).toEqual(expect.arrayContaining([
      'setting-up:creating the Python environment', 'setting-up:installing packages',
      "setting-up:linking the app's Python package", 'starting:starting the Python workers', 'ready:ready',
    ]));
    expect(steps.indexOf('setting-up:installing packages')).toBeLessThan(steps.indexOf('ready:ready'));
    // uv's line for an installed package (pip's, should setup have fallen back to it).
    expect(lines.some((line) => /^ \+ pandas==2\.3\.3$|^Successfully installed .*pandas-2\.3\.3/.test(line))).toBe(true);
    expect((await request(server.url, '/healthz')).json()).toEqual({ status: 'ok', workers: 1 });
    expect(await checkRuntime(runtimeDir, resourcePaths())).toEqual({ state: 'ok', problems: [] });
    await runThenClose(server);
  }, SLOW);

  it('repairs a runtime whose python was deleted', async () => {
    rmSync(runtimePython(runtimeDir));
    const { server, events } = await start();
    await server.settled();
    expect(server.runtime.status).toMatchObject({ phase: 'ready', reason: 'repair', problems: [expect.stringMatching(/Python is missing/)] });
    expect(stepsOf(events).steps).toContain('setting-up:creating the Python environment');
    await runThenClose(server);
  }, SLOW);

  it('repairs a runtime whose setup stamp is corrupt', async () => {
    writeFileSync(join(runtimeDir, STAMP_FILE), '{"requirementsHash": ');
    const { server } = await start();
    await server.settled();
    expect(server.runtime.status).toMatchObject({ phase: 'ready', reason: 'repair', problems: [expect.stringMatching(/no valid setup stamp/)] });
    expect(readStamp(runtimeDir)).not.toBeNull();
    await runThenClose(server);
  }, SLOW);

  it('repairs a runtime that lost a package', async () => {
    await promisify(execFile)(runtimePython(runtimeDir), ['-m', 'pip', 'uninstall', '--yes', 'h3']);
    const { server, events } = await start();
    await server.settled();
    expect(server.runtime.status).toMatchObject({ phase: 'ready', reason: 'repair', problems: ['package h3 is missing (wanted 4.5.0)'] });
    expect(stepsOf(events).lines.some((line) => /^ \+ h3==4\.5\.0$|^Successfully installed h3-4\.5\.0$/.test(line))).toBe(true);
    await runThenClose(server);
  }, SLOW);
});
