import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';
import { startEngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, settledChange } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
const tokens: Record<string, string> = {};
const counter = (name: string): string => join(home.root, `${name}.count`);
/** How far the cache's clock is ahead of the real one: entries age without the test sleeping. */
let clockAheadMs = 0;

/** Each UDF appends a line to a counter file whenever it really runs. */
function counted(name: string, body: string, decorator = '@fused.udf', imports = ''): string {
  return `${decorator}
def udf(bounds: fused.types.Bounds = None, n: int = 1):
    import time${imports}
    with open(${JSON.stringify(counter(name))}, "a") as f:
        f.write("run\\n")
${body}
`;
}

function runs(name: string): number {
  try {
    return readFileSync(counter(name), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function get(name: string, path: string, headers: Record<string, string> = {}) {
  return request(server.url, `/${tokens[name]}${path}`, { headers });
}

beforeAll(async () => {
  home = makeTestHome();
  const udfs: Record<string, string> = {
    Counted: counted('Counted', '    return {"n": n, "header": helper.VALUE}', '@fused.udf', '\n    import helper'),
    Slow: counted('Slow', '    time.sleep(0.5)\n    return {"n": n}'),
    Short_Lived: counted('Short_Lived', '    return {"n": n}', '@fused.udf(cache_max_age="1s")'),
    Never: counted('Never', '    return {"n": n}', '@fused.udf(cache_max_age=0)'),
    Failing: counted('Failing', '    raise ValueError("nope")'),
  };
  for (const [name, code] of Object.entries(udfs)) {
    const headers = name === 'Counted' ? [{ module_name: 'helper', source_file: 'helper.py' }] : [];
    home.write({
      [`ws/${name}/meta.json`]: metaJson(name, { headers }),
      [`ws/${name}/${name}.py`]: code,
      ...(name === 'Counted' ? { [`ws/${name}/helper.py`]: 'VALUE = 1\n' } : {}),
    });
  }
  server = await startEngineServer({ env: home.env, workspaces: [join(home.root, 'ws')], port: 0, poolSize: 2, preload: [], cache: { now: () => Date.now() + clockAheadMs } });
  for (const name of Object.keys(udfs)) tokens[name] = server.services.tokens.create({ udfSlug: name }).token;
}, 120_000);

afterAll(async () => {
  await server?.close();
  home?.remove();
});

describe('result cache over HTTP', () => {
  it('misses, then hits without running the UDF, and says so', async () => {
    const first = await get('Counted', '/run/file?n=1&format=json');
    expect(first.headers['x-udf-studio-cache']).toBe('miss');
    expect(first.headers['x-fused-cached']).toBeUndefined();
    const second = await get('Counted', '/run/file?n=1&format=json');
    expect(second.headers['x-udf-studio-cache']).toBe('hit');
    expect(second.headers['x-fused-cached']).toBe('true');
    expect(second.body.equals(first.body)).toBe(true);
    expect(runs('Counted')).toBe(1);
  });

  it('keys on parameters, tile and format', async () => {
    const before = runs('Counted');
    await get('Counted', '/run/file?n=2&format=json');
    await get('Counted', '/run/file?n=2&format=csv');
    await get('Counted', '/run/tiles/3/1/1.json?n=2');
    await get('Counted', '/run/tiles/3/1/2.json?n=2');
    expect(runs('Counted')).toBe(before + 4);
    await get('Counted', '/run/tiles/3/1/2.json?n=2');
    expect(runs('Counted')).toBe(before + 4);
  });

  it('keys on the code and on header modules: an edit is a miss at once', async () => {
    const dir = join(home.root, 'ws', 'Counted');
    await get('Counted', '/run/file?n=5&format=json');
    const before = runs('Counted');
    let changed = settledChange(server, 'Counted');
    writeFileSync(join(dir, 'helper.py'), 'VALUE = 2\n');
    await changed;
    const afterHeader = await get('Counted', '/run/file?n=5&format=json');
    expect(afterHeader.json()).toEqual({ n: 5, header: 2 });
    expect(runs('Counted')).toBe(before + 1);
    changed = settledChange(server, 'Counted');
    writeFileSync(join(dir, 'Counted.py'), `${readFileSync(join(dir, 'Counted.py'), 'utf8')}\n# edited\n`);
    await changed;
    await get('Counted', '/run/file?n=5&format=json');
    expect(runs('Counted')).toBe(before + 2);
    // The old versions' entries are removed in the background.
    const entries = async () => ((await request(server.url, '/api/cache', { headers: bearer(server) })).json() as { byUdf: Array<{ name: string; entries: number }> }).byUdf.find((row) => row.name === 'Counted')?.entries;
    await expect.poll(entries, { timeout: 10_000 }).toBe(1);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get('Counted', '/run/file?n=7&format=json');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await get('Counted', '/run/file?n=7&format=json', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const other = await get('Counted', '/run/file?n=7&format=json', { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
  });

  it('skips the cache for cache_max_age=0 and cache=false', async () => {
    await get('Counted', '/run/file?n=8&format=json');
    const before = runs('Counted');
    expect((await get('Counted', '/run/file?n=8&format=json&cache_max_age=0')).headers['x-udf-studio-cache']).toBe('off');
    expect((await get('Counted', '/run/file?n=8&format=json&cache=false')).headers['x-udf-studio-cache']).toBe('off');
    expect(runs('Counted')).toBe(before + 2);
  });

  it('honours the call max age over the stored entry', async () => {
    await get('Counted', '/run/file?n=9&format=json');
    clockAheadMs += 1_100;
    const before = runs('Counted');
    expect((await get('Counted', '/run/file?n=9&format=json&cache_max_age=1s')).headers['x-udf-studio-cache']).toBe('miss');
    expect((await get('Counted', '/run/file?n=9&format=json&cache_max_age=1h')).headers['x-udf-studio-cache']).toBe('hit');
    expect(runs('Counted')).toBe(before + 1);
  });

  it("follows the UDF's own cache_max_age, including 0", async () => {
    await get('Short_Lived', '/run/file?format=json');
    expect((await get('Short_Lived', '/run/file?format=json')).headers['x-udf-studio-cache']).toBe('hit');
    clockAheadMs += 1_100;
    expect((await get('Short_Lived', '/run/file?format=json')).headers['x-udf-studio-cache']).toBe('miss');
    await get('Never', '/run/file?format=json');
    await get('Never', '/run/file?format=json');
    expect(runs('Never')).toBe(2);
  });

  it('never caches a failed run', async () => {
    expect((await get('Failing', '/run/file')).status).toBe(422);
    expect((await get('Failing', '/run/file')).status).toBe(422);
    expect(runs('Failing')).toBe(2);
  });

  it('computes concurrent identical requests once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => get('Slow', '/run/file?n=3&format=json')));
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(runs('Slow')).toBe(1);
  });

  it("invalidates one tile on Fused's route and leaves its neighbours", async () => {
    await get('Counted', '/run/tiles/5/1/1.json');
    await get('Counted', '/run/tiles/5/1/2.json');
    const before = runs('Counted');
    const udfId = server.services.engine.udfIds.idFor(server.services.engine.workspace.resolveName('Counted'));
    const deleted = await request(server.url, `/server/v1/realtime-shared/local/udf-cache/by-id/${udfId}/delete?z=5&x=1&y=1`, { method: 'DELETE', headers: { authorization: `fused-service-token ${server.services.privateToken}` } });
    expect(deleted.json()).toEqual({ udf_id: udfId, deleted: 1 });
    await get('Counted', '/run/tiles/5/1/1.json');
    await get('Counted', '/run/tiles/5/1/2.json');
    expect(runs('Counted')).toBe(before + 1);
  });

  it('invalidates a whole UDF by name, and refuses partial tiles and strangers', async () => {
    await get('Counted', '/run/file?n=11&format=json');
    const before = runs('Counted');
    const all = await request(server.url, '/server/v1/realtime-shared/local/udf-cache/by-id/Counted/delete', { method: 'DELETE', headers: bearer(server) });
    expect((all.json() as { deleted: number }).deleted).toBeGreaterThan(0);
    await get('Counted', '/run/file?n=11&format=json');
    expect(runs('Counted')).toBe(before + 1);
    const partial = await request(server.url, '/server/v1/realtime-shared/local/udf-cache/by-id/Counted/delete?z=5&x=1', { method: 'DELETE', headers: bearer(server) });
    expect(partial.status).toBe(422);
    expect((partial.json() as { error: { code: string } }).error.code).toBe('UDF_ERR_TILE_INCOMPLETE');
    const stranger = await request(server.url, '/server/v1/realtime-shared/local/udf-cache/by-id/Counted/delete', { method: 'DELETE' });
    expect(stranger.status).toBe(401);
    const unknown = await request(server.url, '/server/v1/realtime-shared/local/udf-cache/by-id/Nope/delete', { method: 'DELETE', headers: bearer(server) });
    expect(unknown.status).toBe(404);
  });

  it('reports and clears everything through the app API', async () => {
    await get('Counted', '/run/file?n=12&format=json');
    const stats = (await request(server.url, '/api/cache', { headers: bearer(server) })).json() as { entries: number; bytes: number; byUdf: Array<{ name: string }> };
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.byUdf.map((row) => row.name)).toContain('Counted');
    const cleared = (await request(server.url, '/api/cache', { method: 'DELETE', headers: bearer(server) })).json() as { deleted: number };
    expect(cleared.deleted).toBe(stats.entries);
    expect(((await request(server.url, '/api/cache', { headers: bearer(server) })).json() as { entries: number }).entries).toBe(0);
  });
});
