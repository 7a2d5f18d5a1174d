import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppEvent, LibraryListing, UdfDetail } from '../../../src-shared/app-api.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { startEngineServer } from '../../../src-main/engine/server/engine-server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';
import { bearer, openWindowSession, request, type HttpResult, type WindowSession } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
let base: string;
let session: WindowSession;
let ws: string;

const UDFS: Record<string, string> = {
  Greet: '@fused.udf\ndef udf(name: str = "world", n: int = 2):\n    import pandas as pd\n    print("greeting", name)\n    return pd.DataFrame({"greeting": [f"hello {name}"] * n})\n',
  Tiles: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import numpy as np\n    return np.full((256, 256), 200, dtype="uint8")\n',
  Broken: '@fused.udf\ndef udf(:\n    return 1\n',
};

/** The headers the window's own fetches carry. */
function windowHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return session.headers(extra);
}

async function api(path: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return request(base, path, {
    method: options.method ?? 'GET',
    headers: { ...windowHeaders(), 'content-type': 'application/json', ...(options.headers ?? {}) },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
}

/** Opens the event stream and collects its events until `until` matches one. */
function waitForEvent(until: (event: AppEvent) => boolean, timeoutMs = 10_000): { ready: Promise<void>; event: Promise<AppEvent> } {
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  const event = new Promise<AppEvent>((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/api/events', headers: windowHeaders() }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (!data) continue;
          const parsed = JSON.parse(data.slice(6)) as AppEvent;
          if (parsed.type === 'hello') markReady();
          if (until(parsed)) {
            clearTimeout(timer);
            req.destroy();
            resolve(parsed);
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no matching event'));
    }, timeoutMs);
    req.on('error', () => {});
    req.end();
  });
  return { ready, event };
}

beforeAll(async () => {
  home = makeTestHome();
  ws = join(home.root, 'ws');
  for (const [name, code] of Object.entries(UDFS)) {
    home.write({
      [`ws/${name}/meta.json`]: metaJson(name, { metadata: { 'fused:udfType': name === 'Tiles' ? 'raster' : 'auto', 'fused:defaultParameters': [{ parameter: 'name', value: 'world', type: 'str', suggestedValues: ['Ada'] }] } }),
      [`ws/${name}/${name}.py`]: code,
      [`ws/${name}/README.md`]: `# ${name}\n\nAbout ${name}.\n`,
    });
  }
  const renderer = join(home.root, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>UDF Studio</title>');
  writeFileSync(join(renderer, 'assets', 'app-1234.js'), 'console.log(1)');
  const env = { ...home.env, UDF_STUDIO_RENDERER: renderer, XDG_DATA_HOME: join(home.root, 'xdg') };
  server = await startEngineServer({ env, workspaces: [ws], port: 0, poolSize: 1, preload: [] });
  base = server.url;
  const opened = await request(base, new URL(server.sessionLink()).pathname);
  expect(opened.status).toBe(303);
  expect(opened.headers.location).toMatch(/^\/#session-key=[A-Za-z0-9_-]{40,}$/);
  const setCookie = String(opened.headers['set-cookie']);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  session = await openWindowSession(base, server.sessionLink());
}, 120_000);

afterAll(async () => {
  await server?.close();
  home?.remove();
});

describe('window session', () => {
  it('a link works once; a used or made-up ticket gets the expired page', async () => {
    const path = new URL(server.sessionLink()).pathname;
    expect((await request(base, path)).status).toBe(303);
    const again = await request(base, path);
    expect(again.status).toBe(401);
    expect(again.text).toContain('expired');
    expect((await request(base, '/session/not-a-ticket')).status).toBe(401);
  });

  it('the cookie opens the app API from the window origin only', async () => {
    expect((await api('/api/library')).status).toBe(200);
    // Another port of 127.0.0.1 is the same site, so SameSite alone would let it through.
    expect((await api('/api/library', { headers: { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3000' } })).status).toBe(401);
    expect((await api('/api/library', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(401);
    expect((await api('/api/library', { headers: { origin: 'http://evil.example' } })).status).toBe(401);
    expect((await request(base, '/api/library')).status).toBe(401);
    expect((await request(base, '/api/library', { headers: { cookie: 'udf_studio_session_1=forged' } })).status).toBe(401);
    // The cookie without the session key (what a browser sends to any other port), or another key.
    expect((await request(base, '/api/library', { headers: { cookie: session.cookie, 'sec-fetch-site': 'same-origin', origin: base } })).status).toBe(401);
    expect((await api('/api/library', { headers: { 'x-udf-studio-session': 'A'.repeat(43) } })).status).toBe(401);
    // The private token still works for scripts, and the cookie works on the other private routes.
    expect((await request(base, '/api/library', { headers: bearer(server) })).status).toBe(200);
    expect((await api('/server/v1/udf-access-token/self')).status).toBe(200);
  });

  it('only the private token (not the cookie) makes a new window link', async () => {
    expect((await api('/api/session/link', { method: 'POST' })).status).toBe(401);
    const made = await request(base, '/api/session/link', { method: 'POST', headers: bearer(server) });
    expect(made.status).toBe(201);
    const link = (made.json() as { url: string }).url;
    expect((await request(base, new URL(link).pathname)).status).toBe(303);
  });
});

describe('window files', () => {
  it('serves index.html with a CSP and assets with their types', async () => {
    const page = await request(base, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const script = await request(base, '/assets/app-1234.js');
    expect(script.headers['content-type']).toMatch(/text\/javascript/);
    expect(script.text).toBe('console.log(1)');
    expect((await request(base, '/assets/missing.js')).status).toBe(404);
    expect((await request(base, '/assets/..%2Findex.html')).status).toBe(404);
    expect((await request(base, '/assets/secret.txt')).status).toBe(404);
  });
});

describe('library', () => {
  it('lists every UDF with tile and error badges; broken code shows its line', async () => {
    const listing = (await api('/api/library')).json() as LibraryListing;
    const byName = new Map(listing.udfs.filter((udf) => !udf.example).map((udf) => [udf.name, udf]));
    expect([...byName.keys()].sort()).toEqual(['Broken', 'Greet', 'Tiles']);
    expect(byName.get('Tiles')?.tile).toBe(true);
    expect(byName.get('Greet')?.tile).toBe(false);
    expect(byName.get('Greet')?.summary).toBe('About Greet.');
    expect(byName.get('Broken')?.state).toBe('broken');
    expect(byName.get('Broken')?.error?.code).toBe('UDF_ERR_SYNTAX');
    expect(byName.get('Broken')?.error?.line).toBe(2);
  });

  it('lists the bundled examples the workspace lacks; one is copied in to run, not changed in place', async () => {
    const listing = (await api('/api/library')).json() as LibraryListing;
    const examples = listing.udfs.filter((udf) => udf.example).map((udf) => udf.name);
    expect(examples).toContain('Hello_World');
    expect(listing.udfs.find((udf) => udf.name === 'Hello_World')?.workspace).toBe(listing.examples);
    expect(((await api('/api/udfs/Hello_World')).json() as UdfDetail).code).toContain('def udf');
    const refused = await api('/api/udfs/Hello_World/files/Hello_World.py', { method: 'POST', body: { content: 'x' } });
    expect(refused.status).toBe(400);
    expect((refused.json() as { error: { message: string } }).error.message).toContain('bundled example');
    expect((await api('/api/udfs/Hello_World', { method: 'DELETE' })).status).toBe(400);

    expect((await api('/api/examples/Hello_World/copy', { method: 'POST' })).status).toBe(201);
    expect(existsSync(join(ws, 'Hello_World', 'Hello_World.py'))).toBe(true);
    await expect.poll(async () => ((await api('/api/library')).json() as LibraryListing).udfs.find((udf) => udf.name === 'Hello_World')?.example).toBe(false);
    expect((await api('/api/examples/Hello_World/copy', { method: 'POST' })).status).toBe(404);
    expect((await api('/api/examples/No_Such/copy', { method: 'POST' })).status).toBe(404);
  });

  it('gives a UDF page: code, README, files, parameters', async () => {
    const detail = (await api('/api/udfs/Greet')).json() as UdfDetail;
    expect(detail.code).toBe(UDFS.Greet);
    expect(detail.codeFile).toBe('Greet.py');
    expect(detail.readme).toContain('About Greet.');
    expect(detail.description?.parameters.map((p) => p.name)).toEqual(['name', 'n']);
    expect(detail.defaultParameters[0]).toEqual({ parameter: 'name', value: 'world', type: 'str', suggestedValues: ['Ada'] });
    expect((await api('/api/udfs/Nope')).status).toBe(404);
  });

  it('saving a file reaches the disk, and the event stream names the UDF with its new key', async () => {
    const before = ((await api('/api/udfs/Greet')).json() as UdfDetail).key;
    const { ready, event } = waitForEvent((e) => e.type === 'workspace' && e.changed.some((c) => c.name === 'Greet'));
    await ready;
    const code = UDFS.Greet?.replace('hello', 'hi') as string;
    const saved = await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: code } });
    expect(saved.status).toBe(200);
    expect(readFileSync(join(ws, 'Greet', 'Greet.py'), 'utf8')).toBe(code);
    const changed = await event;
    const entry = changed.type === 'workspace' ? changed.changed.find((c) => c.name === 'Greet') : undefined;
    expect(entry?.key).toBeTruthy();
    expect(entry?.key).not.toBe(before);
  });

  it('saves over a base only while the file still holds it', async () => {
    const file = join(ws, 'Greet', 'Greet.py');
    const loaded = readFileSync(file, 'utf8');
    const mine = `${loaded}# mine\n`;
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: mine, base: loaded } })).status).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(mine);
    // The file changed on disk since `loaded`: the save is refused and the disk keeps its text.
    const refused = await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: `${loaded}# again\n`, base: loaded } });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'UDF_ERR_FILE_CHANGED' } });
    expect(readFileSync(file, 'utf8')).toBe(mine);
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: 'x', base: 42 } })).status).toBe(400);
    expect(readFileSync(file, 'utf8')).toBe(mine);
    // Without a base the save overwrites, as "keep mine" asks.
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: loaded } })).status).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(loaded);
  });

  it('refuses bad saves clearly and writes nothing', async () => {
    expect((await api('/api/udfs/Greet/files/meta.json', { method: 'POST', body: { content: '{}' } })).status).toBe(400);
    expect((await api('/api/udfs/Greet/files/..%2F..%2Fevil.py', { method: 'POST', body: { content: 'x' } })).status).toBe(400);
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: { content: 42 } })).status).toBe(400);
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await api('/api/udfs/Greet/files/Greet.py', { method: 'POST', body: [] })).status).toBe(400);
    expect(existsSync(join(home.root, 'evil.py'))).toBe(false);
  });

  it('opens a new or duplicated UDF at once, as the window asks for it right after the create', async () => {
    const opened = async (made: Promise<HttpResult>): Promise<number> => {
      const { name } = (await made).json() as { name: string };
      return (await api(`/api/udfs/${name}`)).status;
    };
    expect(await opened(api('/api/udfs', { method: 'POST', body: { name: 'At_Once', template: 'table' } }))).toBe(200);
    expect(await opened(api('/api/udfs/At_Once/duplicate', { method: 'POST', body: { name: 'At_Once_Copy' } }))).toBe(200);
  });

  it('creates from a template, duplicates, and deletes to the trash', async () => {
    expect((await api('/api/udfs', { method: 'POST', body: { name: 'Fresh', template: 'tile' } })).status).toBe(201);
    expect(existsSync(join(ws, 'Fresh', 'Fresh.py'))).toBe(true);
    expect((await api('/api/udfs', { method: 'POST', body: { name: 'Fresh' } })).status).toBe(400);
    expect((await api('/api/udfs', { method: 'POST', body: { name: '../escape' } })).status).toBe(400);
    expect((await api('/api/udfs', { method: 'POST', body: { name: 'Other', template: 'rocket' } })).status).toBe(400);
    const listed = async (name: string): Promise<boolean> => ((await api('/api/library')).json() as LibraryListing).udfs.some((udf) => udf.name === name);
    await expect.poll(() => listed('Fresh')).toBe(true);

    const copied = await api('/api/udfs/Greet/duplicate', { method: 'POST', body: { name: 'Greet_Copy' } });
    expect(copied.status).toBe(201);
    expect(existsSync(join(ws, 'Greet_Copy', 'Greet_Copy.py'))).toBe(true);
    const meta = JSON.parse(readFileSync(join(ws, 'Greet_Copy', 'meta.json'), 'utf8')) as { job_config: { steps: Array<{ udf: { name: string; source: string } }> } };
    expect(meta.job_config.steps[0]?.udf).toMatchObject({ name: 'Greet_Copy', source: 'Greet_Copy.py' });
    expect((await api('/api/udfs/Greet/duplicate', { method: 'POST', body: { name: 'Greet_Copy' } })).status).toBe(400);
    await expect.poll(() => listed('Greet_Copy')).toBe(true);

    const { ready, event } = waitForEvent((e) => e.type === 'workspace' && e.changed.some((c) => c.name === 'Greet_Copy'));
    await ready;
    const deleted = await api('/api/udfs/Greet_Copy', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    // A folder that is gone is still named, with no code key.
    const gone = await event;
    expect(gone.type === 'workspace' ? gone.changed.find((c) => c.name === 'Greet_Copy') : undefined).toEqual({ name: 'Greet_Copy', key: null });
    expect(existsSync(join(ws, 'Greet_Copy'))).toBe(false);
    expect(existsSync(join(home.root, 'xdg', 'Trash', 'files', 'Greet_Copy', 'Greet_Copy.py'))).toBe(true);
    expect(readFileSync(join(home.root, 'xdg', 'Trash', 'info', 'Greet_Copy.trashinfo'), 'utf8')).toContain(`Path=${join(ws, 'Greet_Copy')}`);
  });

  it('opens a file with the configured editor command (no shell) and rejects bad settings', async () => {
    const marker = join(home.root, 'opened.py');
    const set = await api('/api/settings', { method: 'POST', body: { editorCommand: `cp {file} ${marker}` } });
    expect(set.status).toBe(200);
    expect((set.json() as { editorCommand: string }).editorCommand).toBe(`cp {file} ${marker}`);
    expect((await api('/api/udfs/Greet/open', { method: 'POST', body: { line: 3 } })).status).toBe(200);
    await expect.poll(() => existsSync(marker)).toBe(true);
    expect((await api('/api/udfs/Greet/open', { method: 'POST', body: { line: 'three' } })).status).toBe(400);
    expect((await api('/api/settings', { method: 'POST', body: { port: 1 } })).status).toBe(400);
    expect((await api('/api/settings', { method: 'POST', body: { editorCommand: 7 } })).status).toBe(400);
    await api('/api/settings', { method: 'POST', body: { editorCommand: 'no-such-editor-here {file}' } });
    const failed = await api('/api/udfs/Greet/open', { method: 'POST', body: {} });
    expect(failed.status).toBe(400);
    expect((failed.json() as { error: { message: string } }).error.message).toContain('no such program');
  });
});

describe('runs from the window', () => {
  it('a table comes back as JSON records with kind, duration and cache headers', async () => {
    const ran = await api('/api/udfs/Greet/run', { method: 'POST', body: { params: { name: 'Ada', n: '3' } } });
    expect(ran.status).toBe(200);
    expect(ran.headers['x-udf-studio-kind']).toBe('table');
    expect(Number(ran.headers['x-udf-studio-duration-ms'])).toBeGreaterThan(0);
    expect(ran.headers['x-udf-studio-cache']).toBe('miss');
    expect((ran.json() as unknown[]).length).toBe(3);
    expect((JSON.parse(String(ran.headers['x-fused-metadata'])) as { stdout: string }).stdout).toContain('greeting Ada');
  });

  it('bad parameters are clear 400s; a broken UDF is a 422 with its line', async () => {
    expect((await api('/api/udfs/Greet/run', { method: 'POST', body: { params: { n: 'many' } } })).status).toBe(400);
    expect((await api('/api/udfs/Greet/run', { method: 'POST', body: { params: { n: 3 } } })).status).toBe(400);
    expect((await api('/api/udfs/Greet/run', { method: 'POST', body: { params: [] } })).status).toBe(400);
    const broken = await api('/api/udfs/Broken/run', { method: 'POST', body: {} });
    expect(broken.status).toBe(422);
    expect((broken.json() as { error: { line: number } }).error.line).toBe(2);
  });

  it('map tiles ignore the version parameter and reject bad tiles', async () => {
    const tile = await api('/api/udfs/Tiles/tiles/3/4/2.png?v=abc');
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('image/png');
    expect((await api('/api/udfs/Tiles/tiles/3/99/2.png')).status).toBe(400);
    expect((await api('/api/udfs/Tiles/tiles/3/4/2.png', { headers: { 'sec-fetch-site': 'same-site' } })).status).toBe(401);
  });

  it('reports settings and the runtime status', async () => {
    const settings = (await api('/api/settings')).json() as { workspaces: string[]; port: number };
    expect(settings.workspaces).toEqual([ws]);
    expect(settings.port).toBe(server.port);
    const runtime = (await api('/api/runtime/health')).json() as { pythonVersion: string; workers: number };
    expect(runtime.pythonVersion).toMatch(/^3\./);
    expect(runtime.workers).toBe(1);
  });
});

describe('token manager', () => {
  it('creates with the cookie, then disables, enables and deletes by the listing prefix', async () => {
    const created = await api('/server/v1/udf-access-token/new', { method: 'POST', body: { udf_slug: 'Tiles' } });
    expect(created.status).toBe(201);
    const { token, tile_url: tileUrl } = created.json() as { token: string; tile_url: string };
    const prefix = token.slice(0, 10);
    const tilePath = new URL(tileUrl.replace('{z}/{x}/{y}', '3/4/2.png')).pathname;
    expect((await request(base, tilePath)).status).toBe(200);

    const disabled = await api(`/api/tokens/${prefix}`, { method: 'POST', body: { enabled: false } });
    expect((disabled.json() as { enabled: boolean }).enabled).toBe(false);
    expect((await request(base, tilePath)).status).toBe(403);
    await api(`/api/tokens/${prefix}`, { method: 'POST', body: { enabled: true } });
    expect((await request(base, tilePath)).status).toBe(200);

    expect((await api(`/api/tokens/${prefix}`, { method: 'POST', body: { enabled: 'no' } })).status).toBe(400);
    expect((await api(`/api/tokens/${prefix}`, { method: 'POST', body: { udf_slug: 'Greet' } })).status).toBe(400);
    expect((await api('/api/tokens/fsh_nope00', { method: 'POST', body: { enabled: true } })).status).toBe(404);
    expect((await api(`/api/tokens/${prefix}`, { method: 'DELETE' })).status).toBe(200);
    expect((await request(base, tilePath)).status).toBe(404);
    expect((await api(`/api/tokens/${prefix}`, { method: 'DELETE' })).status).toBe(404);
  });
});
