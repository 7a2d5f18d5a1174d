/**
 * Two real UDF Studio instances on loopback, each with its own home: A uses B as its remote
 * engine (runs, proxied tiles, push and pull), and B uses A the other way.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EngineEvent } from '../../../src-main/engine/events/engine-events.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import { runCli } from '../../helpers/cli.js';
import { bearer, request } from '../../helpers/server.js';
import { startTestServer } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

let homeA: TestHome;
let homeB: TestHome;
let a: EngineServer;
let b: EngineServer;

const B_UDFS: Record<string, string> = {
  Echo: '@fused.udf\ndef udf(word: str = "hi", n: int = 1):\n    print("echo", word)\n    return {"word": word, "n": n}\n',
  Tile_Bounds: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import pandas as pd\n    w, s, e, n = bounds\n    return pd.DataFrame({"west": [w], "south": [s], "east": [e], "north": [n]})\n',
  Boom: '@fused.udf\ndef udf():\n    x = 1\n    raise ValueError("no data here")\n',
};

function writeUdf(home: TestHome, folder: string, name: string, code: string): void {
  home.write({ [`${folder}/${name}/meta.json`]: metaJson(name), [`${folder}/${name}/${name}.py`]: code });
}

beforeAll(async () => {
  homeA = makeTestHome('udf-studio-a-');
  homeB = makeTestHome('udf-studio-b-');
  for (const [name, code] of Object.entries(B_UDFS)) writeUdf(homeB, 'ws', name, code);
  writeUdf(homeA, 'ws', 'Mine', '@fused.udf\ndef udf(k: int = 2):\n    return {"mine": k}\n');
  [a, b] = await Promise.all([startTestServer(homeA, [join(homeA.root, 'ws')], 1), startTestServer(homeB, [join(homeB.root, 'ws')], 1)]);
  new RemoteStore(join(homeA.root, 'remotes.json')).add('B', b.url, b.services.privateToken);
  new RemoteStore(join(homeB.root, 'remotes.json')).add('A', a.url, a.services.privateToken);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  homeA?.remove();
  homeB?.remove();
});

const cli = (home: TestHome, args: string[]) => runCli([...args, '--workspace', join(home.root, 'ws')], home.env);

describe('A runs B\'s UDFs', () => {
  it('runs a remote UDF by name, with its stdout, from the CLI', async () => {
    const result = await runCli(['run', 'Echo', '--remote', 'B', '--param', 'word=far', '--param', 'n=3'], homeA.env);
    expect(result.stderr).toContain('echo far');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toEqual({ word: 'far', n: 3 });
  });

  it('runs a remote tile UDF in tile mode', async () => {
    const result = await runCli(['run', 'Tile_Bounds', '--remote', 'B', '--z', '1', '--x', '1', '--y', '0', '--format', 'json'], homeA.env);
    expect(result.code).toBe(0);
    const [row] = JSON.parse(result.stdout.toString()) as Array<Record<string, number>>;
    expect(row).toMatchObject({ west: 0, east: 180 });
    expect(row?.north).toBeCloseTo(85.0511, 3);
  });

  it('sends a local UDF as code, and reports a remote UDF\'s error with its line', async () => {
    const local = await cli(homeA, ['run', 'Mine', '--remote', 'B', '--param', 'k=7']);
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout.toString())).toEqual({ mine: 7 });
    const boom = await runCli(['run', 'Boom', '--remote', 'B'], homeA.env);
    expect(boom.code).toBe(1);
    expect(boom.stderr).toMatch(/UDF_ERR_RUNTIME: ValueError: remote "B": .*no data here/);
    expect(boom.stderr).toMatch(/\(line 4\)/);
    const missing = await runCli(['run', 'Nowhere', '--remote', 'B'], homeA.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UDF_ERR_NOT_FOUND');
  });

  it('proxies a remote tile through a local token URL, with the local cache in front', async () => {
    const headers = bearer(a);
    const bound = await request(a.url, '/api/udfs/Tile_Bounds/engine', { method: 'POST', headers, body: JSON.stringify({ remote: 'B' }) });
    expect(bound.json()).toEqual({ name: 'Tile_Bounds', remote: 'B' });
    const created = await request(a.url, '/server/v1/udf-access-token/new', { method: 'POST', headers, body: JSON.stringify({ udf_slug: 'Tile_Bounds' }) });
    expect(created.status).toBe(201);
    const token = (created.json() as { token: string }).token;
    const first = await request(a.url, `/${token}/run/tiles/2/1/1?format=json`);
    expect(first.status).toBe(200);
    expect(first.headers['x-udf-studio-cache']).toBe('miss');
    expect(JSON.parse(String(first.headers['x-fused-metadata']))).toMatchObject({ has_exception: false });
    const second = await request(a.url, `/${token}/run/tiles/2/1/1?format=json`);
    expect(second.headers['x-udf-studio-cache']).toBe('hit');
    expect(second.headers['x-fused-cached']).toBe('true');
    expect(second.body.equals(first.body)).toBe(true);
    const tilejson = await request(a.url, `/${token}/run/tiles/tilejson.json?format=mvt`);
    expect(tilejson.json()).toMatchObject({ name: 'Tile_Bounds', tiles: [expect.stringContaining(`/${token}/run/tiles/{z}/{x}/{y}.mvt`)] });
    const direct = await request(b.url, '/server/v1/realtime/x/api/v1/run/udf/saved/me/Tile_Bounds/tiles/2/1/1?format=json', { headers: bearer(b) });
    expect(first.body.equals(direct.body)).toBe(true);
    // The same rules as local results: cache_max_age=0 skips the cache, invalidation drops it.
    expect((await request(a.url, `/${token}/run/tiles/2/1/1?format=json&cache_max_age=0`)).headers['x-udf-studio-cache']).toBe('off');
    const dropped = await request(a.url, '/server/v1/realtime-shared/local/udf-cache/by-id/Tile_Bounds/delete', { method: 'DELETE', headers });
    expect(dropped.json()).toMatchObject({ deleted: 1 });
    expect((await request(a.url, `/${token}/run/tiles/2/1/1?format=json`)).headers['x-udf-studio-cache']).toBe('miss');
    // Back to the local engine, where this UDF does not exist: a clear 404.
    await request(a.url, '/api/udfs/Tile_Bounds/engine', { method: 'POST', headers, body: JSON.stringify({ remote: null }) });
    expect((await request(a.url, `/${token}/run/tiles/2/1/1?format=json`)).status).toBe(404);
  });

  it('asks the remote once for a tile several clients want at the same moment', async () => {
    let calls = 0;
    // A remote that answers the official client's requests for a saved UDF's run, slowly.
    const slow = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0] as string;
      const json = (body: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/server/v1/user/self') return json({ email: 'far@example.org' });
      if (path === '/server/v1/realtime-instance/available') return json([{ client_id: 'far-1' }]);
      if (path === '/server/v1/udf/by-user-email/far@example.org/by-collection/default/by-slug/Far') {
        return json({ id: 'far-id', slug: 'Far', udf_body: JSON.stringify({ name: 'Far', code: '@fused.udf\ndef udf():\n    return 1\n' }) });
      }
      if (path !== '/server/v1/realtime/far-1/api/v1/run/udf/start/tiles/3/2/1') return json({ unexpected: path });
      calls++;
      // A slow remote on purpose: the other requests arrive while this one is under way.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-fused-metadata': '{"stdout": "", "stderr": ""}' });
        res.end('{"slow": true}');
      }, 300);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const headers = bearer(a);
    const remotes = new RemoteStore(join(homeA.root, 'remotes.json'));
    remotes.add('Slow', `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, 'slow-token');
    try {
      await request(a.url, '/api/udfs/Far/engine', { method: 'POST', headers, body: JSON.stringify({ remote: 'Slow' }) });
      const path = '/server/v1/realtime/x/api/v1/run/udf/saved/me/Far/tiles/3/2/1?format=json';
      const answers = await Promise.all(Array.from({ length: 4 }, () => request(a.url, path, { headers })));
      expect(answers.map((answer) => answer.json())).toEqual(Array.from({ length: 4 }, () => ({ slow: true })));
      expect(calls).toBe(1);
      expect((await request(a.url, path, { headers })).headers['x-udf-studio-cache']).toBe('hit');
    } finally {
      await request(a.url, '/api/udfs/Far/engine', { method: 'POST', headers, body: JSON.stringify({ remote: null }) });
      remotes.remove('Slow');
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('refuses malformed engine switches', async () => {
    const headers = bearer(a);
    const cases: Array<[string | undefined, number]> = [['{"remote": 5}', 400], ['{}', 400], ['not json', 400], ['{"remote": "Nope"}', 404]];
    for (const [body, status] of cases) {
      expect((await request(a.url, '/api/udfs/Echo/engine', { method: 'POST', headers, ...(body ? { body } : {}) })).status, body).toBe(status);
    }
    expect((await request(a.url, '/api/udfs/Echo/engine', { method: 'POST', body: '{"remote": null}' })).status).toBe(401);
  });
});

describe('push and pull', () => {
  it('pushes a local UDF to B keeping its id, and B serves it', async () => {
    const pushed = await cli(homeA, ['push', 'Mine']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const id = /\(id ([^)]+)\)/.exec(pushed.stdout.toString())?.[1] as string;
    expect(pushed.stdout.toString()).toContain('created Mine on B');
    const meta = JSON.parse(readFileSync(join(homeB.root, 'ws', 'Mine', 'meta.json'), 'utf8')) as { job_config: { steps: Array<{ udf: { metadata: Record<string, unknown> } }> } };
    expect(meta.job_config.steps[0]?.udf.metadata['fused:id']).toBe(id);
    const record = await request(b.url, `/server/v1/udf/by-id/${id}`, { headers: bearer(b) });
    expect(record.json()).toMatchObject({ id, slug: 'Mine' });
    const ran = await request(b.url, '/server/v1/realtime/x/api/v1/run/udf/saved/me/Mine?k=4&format=json', { headers: bearer(b) });
    expect(ran.json()).toEqual({ mine: 4 });
    expect((await cli(homeA, ['push', 'Mine'])).stdout.toString()).toContain('already the same');
  });

  it('pulls a B UDF into A keeping B\'s id, and an edit on B comes over on the next pull', async () => {
    const idOnB = (await request(b.url, '/server/v1/udf/exec-env/self/by-slug/Echo', { headers: bearer(b) }).then((r) => r.json())) as { id: string };
    const pulled = await cli(homeA, ['pull', 'Echo']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout.toString()).toContain(`pulled Echo from B`);
    const file = join(homeA.root, 'ws', 'Echo', 'Echo.py');
    expect(readFileSync(file, 'utf8')).toBe(B_UDFS.Echo);
    const metaA = readFileSync(join(homeA.root, 'ws', 'Echo', 'meta.json'), 'utf8');
    expect(metaA).toContain(`"fused:id": "${idOnB.id}"`);
    appendFileSync(join(homeB.root, 'ws', 'Echo', 'Echo.py'), '# edited on B\n');
    const again = await cli(homeA, ['pull', 'Echo']);
    expect(again.code).toBe(0);
    expect(again.stdout.toString()).toContain('updated Echo from B');
    expect(readFileSync(file, 'utf8')).toContain('# edited on B');
  });

  it('works the other way: B pushes to A and pulls from A', async () => {
    writeUdf(homeB, 'ws', 'From_B', '@fused.udf\ndef udf():\n    return {"from": "B"}\n');
    const pushed = await cli(homeB, ['push', 'From_B', '--remote', 'A']);
    expect(pushed.code).toBe(0);
    expect(existsSync(join(homeA.root, 'ws', 'From_B', 'From_B.py'))).toBe(true);
    const ran = await request(a.url, '/server/v1/realtime/x/api/v1/run/udf/saved/me/From_B?format=json', { headers: bearer(a) });
    expect(ran.json()).toEqual({ from: 'B' });
    writeUdf(homeA, 'ws', 'From_A', '@fused.udf\ndef udf():\n    return {"from": "A"}\n');
    const pulled = await cli(homeB, ['pull', 'From_A', '--remote', 'A']);
    expect(pulled.code).toBe(0);
    expect(readFileSync(join(homeB.root, 'ws', 'From_A', 'From_A.py'), 'utf8')).toContain('"from": "A"');
  });

  it('reports a conflict when both sides changed, overwriting nothing, and --force picks a side', async () => {
    const fileA = join(homeA.root, 'ws', 'Mine', 'Mine.py');
    const fileB = join(homeB.root, 'ws', 'Mine', 'Mine.py');
    appendFileSync(fileA, '# A was here\n');
    appendFileSync(fileB, '# B was here\n');
    const [beforeA, beforeB] = [readFileSync(fileA, 'utf8'), readFileSync(fileB, 'utf8')];
    const push = await cli(homeA, ['push', 'Mine']);
    expect(push.code).toBe(1);
    expect(push.stderr).toMatch(/UDF_ERR_SYNC_CONFLICT: "Mine" changed both here and on remote "B" since the last sync/);
    const pull = await cli(homeA, ['pull', 'Mine']);
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain('UDF_ERR_SYNC_CONFLICT');
    const all = await cli(homeA, ['pull', '--all']);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('Mine: UDF_ERR_SYNC_CONFLICT');
    expect([readFileSync(fileA, 'utf8'), readFileSync(fileB, 'utf8')]).toEqual([beforeA, beforeB]);
    const status = (await request(a.url, '/api/remotes/B/sync', { headers: bearer(a) })).json() as { udfs: Array<{ name: string; state: string }> };
    expect(status.udfs.find((row) => row.name === 'Mine')?.state).toBe('conflict');
    expect(status.udfs.find((row) => row.name === 'Echo')?.state).toBe('synced');
    expect(status.udfs.find((row) => row.name === 'Boom')?.state).toBe('synced');
    const forced = await cli(homeA, ['push', 'Mine', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(fileB, 'utf8')).toBe(beforeA);
    const after = (await request(a.url, '/api/remotes/B/sync', { headers: bearer(a) })).json() as { udfs: Array<{ name: string; state: string }> };
    expect(after.udfs.find((row) => row.name === 'Mine')?.state).toBe('synced');
  });

  it('push and pull through the app API, with a 409 for a conflict', async () => {
    const headers = bearer(a);
    const events: EngineEvent[] = [];
    const stop = a.engine.events.subscribe((event) => events.push(event));
    appendFileSync(join(homeA.root, 'ws', 'Mine', 'Mine.py'), '# A again\n');
    expect((await request(a.url, '/api/udfs/Mine/push?remote=B', { method: 'POST', headers })).json()).toMatchObject({ name: 'Mine', action: 'updated' });
    appendFileSync(join(homeA.root, 'ws', 'Mine', 'Mine.py'), '# A once more\n');
    appendFileSync(join(homeB.root, 'ws', 'Mine', 'Mine.py'), '# B again\n');
    const conflict = await request(a.url, '/api/udfs/Mine/pull?remote=B', { method: 'POST', headers });
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({ error: { code: 'UDF_ERR_SYNC_CONFLICT' } });
    expect((await request(a.url, '/api/udfs/Mine/pull?remote=Nope', { method: 'POST', headers })).status).toBe(404);
    const remotes = (await request(a.url, '/api/remotes', { headers })).json() as { remotes: unknown[] };
    expect(remotes.remotes).toEqual([{ name: 'B', url: b.url, isDefault: true }]);
    expect(JSON.stringify(remotes)).not.toContain(b.services.privateToken);
    stop();
    // Changes B's event stream reports (remote-changed) come too once A follows B; only A's own sync counts here.
    expect(events.filter((event) => event.type === 'remote' && event.change !== 'remote-changed')).toEqual([{ type: 'remote', udf: 'Mine', change: 'pushed', remote: 'B' }]);
  });
});

describe('remote settings over the app API', () => {
  it('adds and removes remotes, refusing malformed bodies', async () => {
    const headers = bearer(a);
    const bad: Array<[string, number]> = [['nope', 400], ['{}', 400], ['{"name": "X", "url": 5, "token": "t"}', 400], ['{"name": "9", "url": "http://h", "token": "t"}', 400], ['{"name": "B", "url": "http://h", "token": "t"}', 400]];
    for (const [body, status] of bad) expect((await request(a.url, '/api/remotes', { method: 'POST', headers, body })).status, body).toBe(status);
    const added = await request(a.url, '/api/remotes', { method: 'POST', headers, body: JSON.stringify({ name: 'Extra', url: 'http://127.0.0.1:9/', token: 'secret-extra' }) });
    expect(added.status).toBe(201);
    expect(added.json()).toEqual({ name: 'Extra', url: 'http://127.0.0.1:9' });
    expect(readFileSync(join(homeA.root, 'remotes.json'), 'utf8')).toContain('secret-extra');
    expect((await request(a.url, '/api/remotes', { headers })).text).not.toContain('secret-extra');
    expect((await request(a.url, '/api/remotes/Extra', { method: 'DELETE', headers })).json()).toEqual({ name: 'Extra', removed: true });
    expect((await request(a.url, '/api/remotes/Extra', { method: 'DELETE', headers })).status).toBe(404);
    expect((await request(a.url, '/api/remotes', { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('UDF storage routes', () => {
  it('refuses requests without the token and malformed bodies, writing nothing', async () => {
    const headers = bearer(b);
    expect((await request(b.url, '/server/v1/udf/self')).status).toBe(401);
    const bad: Array<[string, number, string]> = [
      ['not json', 400, 'UDF_ERR_BAD_REQUEST'],
      ['{}', 400, 'UDF_ERR_BAD_REQUEST'],
      [JSON.stringify({ udf_body: '{"name": "X"' }), 400, 'UDF_ERR_BAD_REQUEST'],
      [JSON.stringify({ udf_body: { name: 'Bad/Name', code: 'x' } }), 400, 'UDF_ERR_BAD_REQUEST'],
      [JSON.stringify({ udf_body: { name: 'Ok', code: 'x' }, id: 'has space' }), 400, 'UDF_ERR_BAD_REQUEST'],
      [JSON.stringify({ udf_body: { name: 'Echo', code: 'x' } }), 409, 'UDF_ERR_SYNC_CONFLICT'],
    ];
    for (const [body, status, code] of bad) {
      const answer = await request(b.url, '/server/v1/udf/new', { method: 'POST', headers, body });
      expect(answer.status, body).toBe(status);
      expect(answer.json(), body).toMatchObject({ error: { code } });
    }
    expect(existsSync(join(homeB.root, 'ws', 'Ok'))).toBe(false);
    expect((await request(b.url, '/server/v1/udf/by-id/nope', { headers })).status).toBe(404);
    expect((await request(b.url, '/server/v1/udf/exec-env/self/by-slug/nope', { headers })).status).toBe(404);
    const echo = (await request(b.url, '/server/v1/udf/exec-env/self/by-slug/Echo', { headers })).json() as { id: string; udf_body: string };
    const stale = await request(b.url, `/server/v1/udf/by-id/${echo.id}`, { method: 'POST', headers, body: JSON.stringify({ udf_body: echo.udf_body, base_hash: 'old' }) });
    expect(stale.status).toBe(409);
  });

  it('creates with a given id, updates, and deletes', async () => {
    const headers = bearer(b);
    const created = await request(b.url, '/server/v1/udf/new', { method: 'POST', headers, body: JSON.stringify({ id: 'fixed-id-1', udf_body: JSON.stringify({ name: 'Stored', code: '@fused.udf\ndef udf():\n    return 1\n' }) }) });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ id: 'fixed-id-1', slug: 'Stored' });
    const updated = await request(b.url, '/server/v1/udf/by-id/fixed-id-1', { method: 'POST', headers, body: JSON.stringify({ udf_body: { name: 'Stored', code: '@fused.udf\ndef udf():\n    return 2\n' } }) });
    expect(updated.status).toBe(200);
    expect(readFileSync(join(homeB.root, 'ws', 'Stored', 'Stored.py'), 'utf8')).toContain('return 2');
    expect((await request(b.url, '/server/v1/udf/by-id/fixed-id-1', { method: 'DELETE', headers })).json()).toEqual({ id: 'fixed-id-1', deleted: true });
    expect(existsSync(join(homeB.root, 'ws', 'Stored'))).toBe(false);
  });
});

describe('when the remote goes away', () => {
  it('B stopped mid-run gives A a clear error, and A keeps working offline', async () => {
    const homeC = makeTestHome('udf-studio-c-');
    const marker = join(homeC.root, 'started');
    writeUdf(homeC, 'ws', 'Slow', `@fused.udf\ndef udf():\n    import time\n    open(${JSON.stringify(marker)}, "w").close()\n    time.sleep(60)\n    return 1\n`);
    const c = await startTestServer(homeC, [join(homeC.root, 'ws')], 1);
    try {
      new RemoteStore(join(homeA.root, 'remotes.json')).add('C', c.url, c.services.privateToken);
      const running = runCli(['run', 'Slow', '--remote', 'C'], homeA.env);
      await expect.poll(() => existsSync(marker), { timeout: 30_000 }).toBe(true);
      await c.close();
      const result = await running;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/UDF_ERR_REMOTE_UNREACHABLE: remote "C" \(http:\/\/127\.0\.0\.1:\d+\) (dropped|closed) the connection/);
      // Offline: local runs work, remote calls fail clearly, and nothing local changed.
      const local = await request(a.url, '/server/v1/realtime/x/api/v1/run/udf/saved/me/Mine?format=json', { headers: bearer(a) });
      expect(local.status).toBe(200);
      const again = await runCli(['run', 'Slow', '--remote', 'C'], homeA.env);
      expect(again.stderr).toMatch(/UDF_ERR_REMOTE_UNREACHABLE: remote "C" .*refused the connection/);
      const push = await cli(homeA, ['push', 'Mine', '--remote', 'C']);
      expect(push.code).toBe(1);
      expect(push.stderr).toContain('UDF_ERR_REMOTE_UNREACHABLE');
      await request(a.url, '/api/udfs/Slow/engine', { method: 'POST', headers: bearer(a), body: JSON.stringify({ remote: 'C' }) });
      const proxied = await request(a.url, '/server/v1/realtime/x/api/v1/run/udf/saved/me/Slow', { headers: bearer(a) });
      expect(proxied.status).toBe(502);
      expect(proxied.json()).toMatchObject({ error: { code: 'UDF_ERR_REMOTE_UNREACHABLE' } });
      const status = await request(a.url, '/api/remotes/C/sync', { headers: bearer(a) });
      expect(status.status).toBe(502);
      expect(status.json()).toMatchObject({ error: { code: 'UDF_ERR_REMOTE_UNREACHABLE' } });
    } finally {
      await c.close();
      homeC.remove();
    }
  });
});

describe('the remote command', () => {
  it('adds, lists and removes remotes, never printing a token, in a 0600 file', async () => {
    const home = makeTestHome();
    try {
      const added = await runCli(['remote', 'add', 'team', 'http://10.1.2.3:8765', '--token', 'tok-secret'], home.env);
      expect(added.code).toBe(0);
      expect(statSync(join(home.root, 'remotes.json')).mode & 0o777).toBe(0o600);
      const listed = await runCli(['remote', 'list'], home.env);
      expect(listed.stdout.toString()).toMatch(/team\s+http:\/\/10\.1\.2\.3:8765\s+\(default\)/);
      const json = await runCli(['remote', 'list', '--json'], home.env);
      expect(JSON.parse(json.stdout.toString())).toEqual([{ name: 'team', url: 'http://10.1.2.3:8765', isDefault: true }]);
      for (const output of [added, listed, json]) expect(output.stdout.toString() + output.stderr).not.toContain('tok-secret');
      expect((await runCli(['remote', 'remove', 'team'], home.env)).code).toBe(0);
      expect((await runCli(['remote', 'list'], home.env)).stdout.toString()).toContain('no remote engines');
    } finally {
      home.remove();
    }
  });

  it('refuses bad command lines with a clear message', async () => {
    const home = makeTestHome();
    try {
      const cases: Array<[string[], number, RegExp]> = [
        [['remote'], 2, /remote needs an action/],
        [['remote', 'fly'], 2, /unknown remote action "fly"/],
        [['remote', 'add', 'x'], 2, /needs NAME and URL/],
        [['remote', 'add', 'x', 'http://a'], 2, /needs --token/],
        [['remote', 'add', 'x', 'http://a', '--token'], 2, /argument missing|--token/],
        [['remote', 'add', '9x', 'http://a', '--token', 't'], 2, /not a usable remote name/],
        [['remote', 'add', 'x', 'file:///etc', '--token', 't'], 2, /must start with http/],
        [['remote', 'remove'], 2, /needs the NAME/],
        [['remote', 'remove', 'ghost'], 1, /UDF_ERR_REMOTE_UNKNOWN/],
        [['push'], 2, /push needs the NAME/],
        [['push', 'Mine'], 1, /no remote engine is configured/],
        [['pull'], 2, /NAME of a remote UDF, or --all/],
        [['pull', 'X', '--all'], 2, /NAME of a remote UDF, or --all/],
        [['pull', '--all', '--force'], 2, /--force takes one UDF/],
        [['run', 'Hello_World', '--remote', 'ghost'], 1, /no remote engine named "ghost"/],
        [['run', 'Hello_World', '--remote', 'ghost', '--timeout', '5'], 2, /--timeout applies to local runs/],
        [['run', 'Hello_World', '--remote'], 2, /argument missing|--remote/],
      ];
      for (const [args, code, message] of cases) {
        const result = await runCli(args, home.env);
        expect(result.code, args.join(' ')).toBe(code);
        expect(result.stderr, args.join(' ')).toMatch(message);
      }
      writeFileSync(join(home.root, 'remotes.json'), '{"remotes": [');
      const damaged = await runCli(['remote', 'list'], home.env);
      expect(damaged.code).toBe(1);
      expect(damaged.stderr).toMatch(/UDF_ERR_REMOTE_CONFIG: .*remotes.json is not valid JSON/);
    } finally {
      home.remove();
    }
  });
});
