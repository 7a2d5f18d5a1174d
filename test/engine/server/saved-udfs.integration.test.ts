/**
 * Fused's saved-UDF routes on a real server: lookups by owner and collection, the official
 * client's save fields, collections, paging, and cache invalidation really recomputing; every
 * malformed request a clear 4xx.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, serverForFile } from '../../helpers/server.js';
import { metaJson, type TestHome } from '../../helpers/test-home.js';

const ECHO = '@fused.udf\ndef udf(word: str = "hi"):\n    return word\n';
/** Counts its runs in a file: a cached answer repeats the count. */
const COUNTER = (file: string) => `@fused.udf\ndef udf():\n    from pathlib import Path\n    p = Path(${JSON.stringify(file)})\n    n = int(p.read_text()) + 1 if p.exists() else 1\n    p.write_text(str(n))\n    return n\n`;

let home: TestHome;
let server: EngineServer;
let headers: Record<string, string>;
let email: string;
let handle: string;

serverForFile((started) => ({ home, server } = started), { poolSize: 1, prepare, prefix: 'udf-studio-saved-' });

/** Saved UDFs: with and without meta.json, a broken one, a collection, and a counter of its runs. */
function prepare(home: TestHome): void {
  home.write({
    'ws/Echo/meta.json': metaJson('Echo', { parameters: { word: 'saved' } }), 'ws/Echo/Echo.py': ECHO,
    'ws/Named/Named.py': '@fused.udf\ndef shout(word: str = "x"):\n    return word.upper()\n',
    'ws/Broken/meta.json': '{nope',
    'ws/Tools/collection.json': '{"name": "Tools"}',
    'ws/Tools/Inside/Inside.py': ECHO,
    'ws/Counter/Counter.py': COUNTER(join(home.root, 'count.txt')),
  });
}

beforeAll(() => {
  headers = bearer(server);
  ({ email, handle } = server.services.account());
});

const get = (path: string) => request(server.url, path, { headers });
const post = (path: string, body: unknown) => request(server.url, path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const errorCode = (answer: { json: () => unknown }) => (answer.json() as { error: { code: string } }).error.code;

interface SavedRecord {
  id: string;
  slug: string;
  udf_body: string;
  collection_id: string;
  collection_name: string;
}

describe('lookups by owner and collection', () => {
  it('finds a UDF by email, handle and team, with the record the client parses', async () => {
    const byEmail = await get(`/server/v1/udf/by-user-email/${encodeURIComponent(email)}/by-collection/default/by-slug/Echo`);
    expect(byEmail.status).toBe(200);
    const record = byEmail.json() as SavedRecord;
    expect(record).toMatchObject({ slug: 'Echo', collection_id: 'default', collection_name: 'default' });
    expect(JSON.parse(record.udf_body)).toMatchObject({ type: 'geopandas_v2', name: 'Echo', entrypoint: 'udf', code: ECHO, parameters: { word: 'saved' }, headers: [] });
    for (const path of [
      `/server/v1/udf/by-user-email/${encodeURIComponent(email.toUpperCase())}/by-collection/default/by-slug/Echo`,
      `/server/v1/udf/by-user-handle/${handle}/by-collection/default/by-slug/Echo`,
      '/server/v1/udf/by-user-handle/team/by-collection/default/by-slug/Echo',
      '/server/v1/udf/exec-env/self/by-collection/default/by-slug/Echo',
      `/server/v1/udf/by-id/${record.id}`,
    ]) expect((await get(path)).json(), path).toEqual(record);
  });

  it('names the decorated function when no meta.json does', async () => {
    const record = (await get('/server/v1/udf/exec-env/self/by-collection/default/by-slug/Named')).json() as SavedRecord;
    expect(JSON.parse(record.udf_body)).toMatchObject({ entrypoint: 'shout' });
  });

  it('finds a collection folder\'s UDFs in it and in default, and nothing else in it', async () => {
    const inside = await get('/server/v1/udf/exec-env/self/by-collection/Tools/by-slug/Inside');
    expect(inside.json()).toMatchObject({ slug: 'Inside', collection_id: 'Tools', collection_name: 'Tools' });
    expect((await get('/server/v1/udf/exec-env/self/by-collection/default/by-slug/Inside')).json()).toEqual(inside.json());
    const outside = await get('/server/v1/udf/exec-env/self/by-collection/Tools/by-slug/Echo');
    expect([outside.status, errorCode(outside)]).toEqual([404, 'UDF_ERR_NOT_FOUND']);
    const nowhere = await get('/server/v1/udf/exec-env/self/by-collection/Nope/by-slug/Echo');
    expect(nowhere.status).toBe(404);
    expect((nowhere.json() as { message: string }).message).toMatch(/there is no collection "Nope"/);
  });

  it('answers another owner, unknown names, broken folders and odd paths with a clear 4xx', async () => {
    const stranger = await get('/server/v1/udf/by-user-email/someone@example.com/by-collection/default/by-slug/Echo');
    expect(stranger.status).toBe(404);
    expect((stranger.json() as { message: string }).message).toBe(`"someone@example.com" has no UDFs here: this UDF Studio serves only its own account's (${email}, handle ${handle}, or "team")`);
    const cases: Array<[string, number]> = [
      ['/server/v1/udf/by-user-handle/somebody/by-collection/default/by-slug/Echo', 404],
      ['/server/v1/udf/exec-env/self/by-collection/default/by-slug/Nothing', 404],
      ['/server/v1/udf/exec-env/self/by-collection/default/by-slug/Broken', 422],
      ['/server/v1/udf/exec-env/self/by-collection/default/by-slug/..%2F..%2Fetc', 404],
      ['/server/v1/udf/exec-env/self/by-collection/..%2F..%2Fws%2FTools/by-slug/Inside', 404],
      ['/server/v1/udf/exec-env/self/by-collection/default/by-slug/%E0%A4%A', 400],
      [`/server/v1/udf/exec-env/self/by-collection/default/by-slug/${'x'.repeat(7000)}`, 404],
      [`/server/v1/udf/by-id/${'y'.repeat(7000)}`, 404],
      [`/server/v1/udf/exec-env/self/by-collection/default/by-slug/${'x'.repeat(9000)}`, 414],
    ];
    for (const [path, status] of cases) expect((await get(path)).status, path.slice(0, 120)).toBe(status);
    expect((await request(server.url, '/server/v1/udf/exec-env/self/by-collection/default/by-slug/Echo')).status).toBe(401);
  });
});

describe('saving as the official client does', () => {
  const body = (name: string, code = ECHO) => JSON.stringify({ name, type: 'geopandas_v2', code, headers: [], metadata: null, collection_id: null, collection_name: null, entrypoint: 'udf', parameters: {} });

  it('saves a body whose metadata is null, into a collection when asked, and updates it in place', async () => {
    const created = await post('/server/v1/udf/new', { slug: 'Client_Saved', udf_body: body('Client_Saved'), udf_type: 'auto', allow_public_read: false, allow_public_list: false, collection_id: null });
    expect(created.status).toBe(201);
    const record = created.json() as SavedRecord;
    const meta = readFileSync(join(home.root, 'ws', 'Client_Saved', 'meta.json'), 'utf8');
    expect((JSON.parse(meta) as { job_config: { steps: Array<{ udf: { metadata: unknown } }> } }).job_config.steps[0]?.udf.metadata).toEqual({ 'fused:id': record.id });
    // Where the folder sits says its collection: the client's collection fields are not kept.
    expect(meta).not.toContain('collection_');
    const collected = await post('/server/v1/udf/new', { slug: 'Collected', udf_body: body('Collected'), udf_type: 'auto', collection_id: 'Tools' });
    expect(collected.json()).toMatchObject({ collection_name: 'Tools' });
    expect(existsSync(join(home.root, 'ws', 'Tools', 'Collected', 'Collected.py'))).toBe(true);
    const updated = await post(`/server/v1/udf/by-id/${record.id}`, { slug: 'Client_Saved', udf_body: body('Client_Saved', `${ECHO}# changed\n`), udf_type: 'auto', collection_id: 'Tools' });
    expect(updated.json()).toMatchObject({ id: record.id, collection_name: 'default' });
    expect(readFileSync(join(home.root, 'ws', 'Client_Saved', 'Client_Saved.py'), 'utf8')).toContain('# changed');
  });

  it('refuses malformed client fields with 400, an unknown collection with 404, writing nothing', async () => {
    const cases: Array<[unknown, number]> = [
      [{ udf_body: 42 }, 400],
      [{ udf_body: body('Bad_1'), udf_type: 5 }, 400],
      [{ udf_body: body('Bad_2'), udf_type: 'weird' }, 400],
      [{ udf_body: body('Bad_3'), allow_public_read: 'yes' }, 400],
      [{ udf_body: body('Bad_4'), allow_public_list: 1 }, 400],
      [{ udf_body: body('Bad_5'), collection_id: 7 }, 400],
      [{ udf_body: body('Bad_6'), collection_id: '../escape' }, 400],
      [{ udf_body: body('Bad_7'), collection_id: 'Nope' }, 404],
      [{ udf_body: JSON.stringify({ name: 'Bad_8', code: ECHO, metadata: [1] }) }, 400],
      [{ udf_body: JSON.stringify({ name: 'Bad_9', code: ECHO, parameters: 'x' }) }, 400],
      [{ udf_body: body('Bad_10'), slug: 'x'.repeat(500) }, 400],
    ];
    for (const [request, status] of cases) expect((await post('/server/v1/udf/new', request)).status, JSON.stringify(request).slice(0, 100)).toBe(status);
    expect((await post('/server/v1/udf/new', `{"udf_body": "${'x'.repeat(6 * 1024 * 1024)}"}`)).status).toBe(413);
    expect((await post('/server/v1/udf/by-id/nope', { udf_body: body('Echo') })).status).toBe(404);
    expect((await post('/server/v1/udf/by-id/nope', '[1, 2]')).status).toBe(400);
    expect(existsSync(join(home.root, 'ws', 'Bad_7'))).toBe(false);
  });

  it('pages the list as the client asks, all of it without a limit', async () => {
    const all = (await get('/server/v1/udf/self')).json() as SavedRecord[];
    expect(all.map((r: SavedRecord) => r.slug)).toEqual(expect.arrayContaining(['Echo', 'Inside', 'Named']));
    expect((all[0] as SavedRecord).udf_body).toEqual(expect.any(String));
    const second = (await get('/server/v1/udf/self?skip=1&limit=1&udf_type=udf')).json() as SavedRecord[];
    expect(second.map((r: SavedRecord) => r.id)).toEqual([(all[1] as SavedRecord).id]);
    expect((await get(`/server/v1/udf/exec-env/self?skip=${all.length}&limit=300`)).json()).toEqual([]);
    expect((await get('/server/v1/udf/self?udf_type=app')).json()).toEqual([]);
    for (const query of ['skip=-1', 'limit=abc', 'limit=99999', 'skip=1e3', 'udf_type=weird', `skip=${'9'.repeat(30)}`]) {
      expect((await get(`/server/v1/udf/self?${query}`)).status, query).toBe(400);
    }
  });
});

describe('collections', () => {
  it('answers default and collection folders, and makes new ones', async () => {
    expect((await get('/server/v1/collection/by-name/default')).json()).toMatchObject({ id: 'default', name: 'default', username: handle });
    expect((await get('/server/v1/collection/by-name/Tools')).json()).toMatchObject({ id: 'Tools', name: 'Tools', access_scope: 'team', allow_public_read: false });
    for (const name of ['Nope', '..%2Fws%2FTools', '..', '%00']) expect((await get(`/server/v1/collection/by-name/${name}`)).status, name).toBe(404);
    const made = await post('/server/v1/collection/new', { name: 'Fresh', access_scope: 'team' });
    expect(made.status).toBe(201);
    expect(existsSync(join(home.root, 'ws', 'Fresh', 'collection.json'))).toBe(true);
    expect((await post('/server/v1/collection/new', { name: 'Fresh' })).status).toBe(200);
    expect((await get('/server/v1/collection/by-name/Fresh')).json()).toMatchObject({ id: 'Fresh' });
  });

  it('refuses malformed bodies and folders that are not collections', async () => {
    const cases: Array<[unknown, number]> = [
      ['not json', 400], [{}, 400], [{ name: 5 }, 400], [{ name: '../up' }, 400], [{ name: 'x'.repeat(300) }, 400],
      [{ name: 'Ok', access_scope: 'everyone' }, 400], [{ name: 'Echo' }, 400],
    ];
    for (const [body, status] of cases) expect((await post('/server/v1/collection/new', body)).status, JSON.stringify(body)).toBe(status);
    expect(existsSync(join(home.root, 'ws', 'Ok'))).toBe(false);
    expect((await request(server.url, '/server/v1/collection/by-name/Tools')).status).toBe(401);
  });
});

describe('cache invalidation by the id the records give', () => {
  it('recomputes after invalidation, and refuses malformed requests', async () => {
    const token = (await post('/server/v1/udf-access-token/new', { udf_slug: 'Counter' })).json() as { token: string };
    const run = async () => (await request(server.url, `/server/v1/realtime-shared/${token.token}/run/file?format=json`)).json();
    const first = await run();
    expect(await run()).toEqual(first);
    const { id } = (await get('/server/v1/udf/exec-env/self/by-collection/default/by-slug/Counter')).json() as SavedRecord;
    const base = `/server/v1/realtime-shared/udf-studio-local/udf-cache/by-id/${id}/delete`;
    const dropped = await request(server.url, base, { method: 'DELETE', headers: { authorization: `fused-service-token ${server.services.privateToken}` } });
    expect(dropped.json()).toMatchObject({ udf_id: id, deleted: 1 });
    expect(await run()).not.toEqual(first);
    const cases: Array<[string, number]> = [
      [`${base}?z=1`, 422], [`${base}?z=a&x=1&y=1`, 400], [`${base}?z=99&x=1&y=1`, 400], [`${base}?z=2&x=9&y=1`, 400],
      [`${base}?z=${'9'.repeat(20)}&x=1&y=1`, 400],
      [`/server/v1/realtime-shared/x/udf-cache/by-id/${'z'.repeat(7000)}/delete`, 404],
    ];
    for (const [path, status] of cases) expect((await request(server.url, path, { method: 'DELETE', headers })).status, path.slice(0, 120)).toBe(status);
  });
});
