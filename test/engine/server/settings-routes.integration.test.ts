/**
 * The settings the window changes (`GET`/`POST /api/settings`) against a real server: workspace
 * folders take effect at once (library, watcher, workers), the port at the next start, and
 * `serve` starts with what settings.json says unless a flag overrides it; GitHub clones reach the
 * workers' `fused.load` at once.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AppEvent, AppSettings, LibraryListing } from '../../../src-shared/app-api.js';
import { startEngineServer, type EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { bearer, request } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let server: EngineServer;
let port: number;
let first: string;
let second: string;
const logs: string[] = [];
const events: AppEvent[] = [];

function writeUdf(folder: string, name: string, code: string): void {
  mkdirSync(join(folder, name), { recursive: true });
  writeFileSync(join(folder, name, 'meta.json'), metaJson(name));
  writeFileSync(join(folder, name, `${name}.py`), code);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: found } = probe.address() as { port: number };
      probe.close(() => resolve(found));
    });
  });
}

const api = (path: string, method = 'GET', body?: unknown) =>
  request(server.url, path, { method, headers: { ...bearer(server), 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const names = async (): Promise<string[]> => ((await api('/api/library')).json() as LibraryListing).udfs.filter((udf) => !udf.example).map((udf) => udf.name).sort();

beforeAll(async () => {
  home = makeTestHome('udf-studio-settings-');
  first = join(home.root, 'first');
  second = join(home.root, 'second');
  // Caller loads Helper by name: it only works once Helper's folder is a workspace the workers know.
  writeUdf(first, 'Caller', '@fused.udf\ndef udf():\n    return {"helper": fused.load("Helper")()["value"]}\n');
  writeUdf(second, 'Helper', '@fused.udf\ndef udf():\n    return {"value": 42}\n');
  port = await freePort();
  writeFileSync(join(home.root, 'settings.json'), JSON.stringify({ workspaces: [first, join(home.root, 'unplugged')], port }));
  server = await startEngineServer({ env: home.env, poolSize: 1, preload: [], log: (line) => logs.push(line) });
  server.events.subscribe((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  await server?.close();
  home?.remove();
});

describe('starting from settings.json', () => {
  it('listens on the port and serves the folders it names, skipping one that is gone with a warning', async () => {
    expect(server.port).toBe(port);
    const settings = (await api('/api/settings')).json() as AppSettings;
    expect(settings).toMatchObject({ workspaces: [first], port, nextPort: port, overridden: { workspaces: false, port: false }, settingsFile: join(home.root, 'settings.json') });
    expect(logs.some((line) => line.startsWith('warning:') && line.includes(join(home.root, 'unplugged')))).toBe(true);
    expect(await names()).toEqual(['Caller']);
  });

  it('flags win over the settings, and the window is told so', async () => {
    const other = await startEngineServer({ env: home.env, port: 0, workspaces: [second], poolSize: 1, preload: [] });
    try {
      expect(other.port).not.toBe(port);
      const settings = (await request(other.url, '/api/settings', { headers: bearer(other) })).json() as AppSettings;
      expect(settings).toMatchObject({ workspaces: [second], nextPort: port, overridden: { workspaces: true, port: true } });
    } finally {
      await other.close();
    }
  });
});

describe('changing the workspace folders', () => {
  it('adds a folder at once: the library, the event stream, the watcher and the workers all know it', async () => {
    const before = await api('/api/udfs/Caller/run', 'POST', {});
    expect(before.status).toBe(422);
    expect(before.text).toContain("no UDF named 'Helper'");

    events.length = 0;
    const changed = await api('/api/settings', 'POST', { workspaces: [first, second] });
    expect(changed.status).toBe(200);
    expect((changed.json() as AppSettings).workspaces).toEqual([first, second]);
    expect(savedSettings().workspaces).toEqual([first, second]);
    expect(await names()).toEqual(['Caller', 'Helper']);
    const announced = events.find((event) => event.type === 'workspace');
    expect(announced).toMatchObject({ type: 'workspace', changed: [{ name: 'Helper' }] });

    // The workers are replaced with the new folder list, so fused.load finds Helper by name.
    await expect.poll(async () => (await api('/api/udfs/Caller/run', 'POST', {})).text, { timeout: 30_000 }).toContain('"helper":42');

    // The new folder is watched: a UDF saved there shows up by itself.
    events.length = 0;
    writeUdf(second, 'Later', '@fused.udf\ndef udf():\n    return 1\n');
    await expect.poll(() => events.some((event) => event.type === 'workspace' && event.changed.some((entry) => entry.name === 'Later')), { timeout: 10_000 }).toBe(true);
  });

  it('drops a folder at once, telling the window which UDFs went', async () => {
    events.length = 0;
    expect((await api('/api/settings', 'POST', { workspaces: [second] })).status).toBe(200);
    expect(await names()).toEqual(['Helper', 'Later']);
    expect(events).toContainEqual({ type: 'workspace', changed: [{ name: 'Caller', key: null }] });
    // Edits in the dropped folder no longer reach anyone: a save in the kept folder made after it
    // is announced, and the announcement names only that one.
    events.length = 0;
    writeUdf(first, 'Ignored', '@fused.udf\ndef udf():\n    return 1\n');
    writeUdf(second, 'Marker', '@fused.udf\ndef udf():\n    return 1\n');
    await expect.poll(() => events.some((event) => event.type === 'workspace' && event.changed.some((entry) => entry.name === 'Marker')), { timeout: 10_000 }).toBe(true);
    const named = events.flatMap((event) => (event.type === 'workspace' ? event.changed.map((entry) => entry.name) : []));
    expect(new Set(named)).toEqual(new Set(['Marker']));
  });

  it('null goes back to the home\'s udfs/, seeded with the examples', async () => {
    const reset = (await api('/api/settings', 'POST', { workspaces: null })).json() as AppSettings;
    expect(reset.workspaces).toEqual([join(home.root, 'udfs')]);
    expect(existsSync(join(home.root, 'udfs', 'Hello_World', 'meta.json'))).toBe(true);
    expect(await names()).toContain('Hello_World');
    expect((await api('/api/settings', 'POST', { workspaces: [first] })).status).toBe(200);
  });
});

describe('bad settings', () => {
  it('refuses bad values with 400 and changes nothing', async () => {
    const before = readFileSync(join(home.root, 'settings.json'), 'utf8');
    const bad: unknown[] = [
      { workspaces: [join(home.root, 'nowhere')] }, { workspaces: [] }, { workspaces: 'first' }, { workspaces: ['relative'] },
      { port: 80 }, { port: 70000 }, { port: '9000' }, { colour: 'blue' }, [1], 'text',
    ];
    for (const body of bad) {
      const answer = await api('/api/settings', 'POST', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.json() as { error: { message: string } }).error.message.length).toBeGreaterThan(10);
    }
    expect((await request(server.url, '/api/settings', { method: 'POST', headers: bearer(server), body: '{nope' })).status).toBe(400);
    expect(readFileSync(join(home.root, 'settings.json'), 'utf8')).toBe(before);
    expect(await names()).toEqual(['Caller', 'Ignored']);
  });

  it('a port change is kept for the next start; this one keeps listening where it is', async () => {
    const next = port === 65000 ? 65001 : 65000;
    const changed = (await api('/api/settings', 'POST', { port: next })).json() as AppSettings;
    expect(changed).toMatchObject({ port, nextPort: next });
    expect(server.port).toBe(port);
    expect(savedSettings().port).toBe(next);
    expect((await api('/api/settings', 'POST', { port })).status).toBe(200);
  });

  it('a settings file broken by hand is reported clearly, and fixed by writing a good one', async () => {
    const path = join(home.root, 'settings.json');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, '{"port": ');
    const answer = await api('/api/settings');
    expect(answer.status).toBe(422);
    expect(answer.json()).toMatchObject({ error: { code: 'UDF_ERR_SETTINGS', file: path } });
    writeFileSync(path, good);
    expect((await api('/api/settings')).status).toBe(200);
  });
});

describe('udf-studio serve and settings.json', () => {
  it('listens on the port of the settings when no --port is given', async () => {
    const other = makeTestHome('udf-studio-settings-serve-');
    const wanted = await freePort();
    other.write({ 'settings.json': JSON.stringify({ port: wanted }) });
    const child = spawn(process.execPath, [CLI, 'serve', '--workers', '1'], { env: other.env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /^listening on (\S+)$/m.exec(out)?.[1];
          if (found) resolve(found);
        });
        child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
      });
      expect(line).toBe(`http://127.0.0.1:${wanted}`);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      other.remove();
    }
  });

  it('refuses to start on a malformed settings file, naming the file and the value', async () => {
    const other = makeTestHome('udf-studio-settings-bad-');
    try {
      other.write({ 'settings.json': '{"port": 22}' });
      const result = await runCli(['serve', '--port', '0'], other.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`udf-studio: UDF_ERR_SETTINGS: ${join(other.root, 'settings.json')}: "port" must be a whole number from 1024 to 65535, got 22`);
      other.write({ 'settings.json': 'not json' });
      const broken = await runCli(['serve', '--port', '0'], other.env);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/UDF_ERR_SETTINGS: .*settings\.json is not valid JSON/);
    } finally {
      other.remove();
    }
  });
});

describe('GitHub clones', () => {
  it('a clone set in the window answers the workers\' fused.load of its GitHub URLs at once', async () => {
    const clone = join(home.root, 'clones', 'udfs');
    writeUdf(join(clone, 'public'), 'Greeter', '@fused.udf\ndef udf():\n    return {"greeting": "from the clone"}\n');
    const git = (...args: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'greeter');
    const commit = git('rev-parse', 'HEAD');
    writeUdf(first, 'From_GitHub', `@fused.udf\ndef udf():\n    return fused.load("https://github.com/fusedio/udfs/tree/${commit.slice(0, 7)}/public/Greeter/")()\n`);

    const saved = await api('/api/settings', 'POST', { githubClones: { 'fusedio/udfs': clone } });
    expect(saved.status).toBe(200);
    expect((saved.json() as AppSettings).githubClones).toEqual({ 'fusedio/udfs': clone });
    expect(((await api('/api/settings')).json() as AppSettings).githubClones).toEqual({ 'fusedio/udfs': clone });
    await expect.poll(async () => (await api('/api/udfs/From_GitHub/run', 'POST', {})).text, { timeout: 30_000 }).toContain('from the clone');

    const refused = await api('/api/settings', 'POST', { githubClones: { udfs: clone } });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('names repositories as \\"org/repo\\"');
    expect(savedSettings().githubClones).toEqual({ 'fusedio/udfs': clone });
  });
});

/** settings.json as the server wrote it. */
function savedSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(home.root, 'settings.json'), 'utf8')) as Record<string, unknown>;
}
