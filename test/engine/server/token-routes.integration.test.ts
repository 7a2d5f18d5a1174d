import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { metaJson } from '../../helpers/test-home.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';

const BASE = '/server/v1/udf-access-token';
const ECHO_ID = '5d0c8a4e-6a43-4c55-8d6e-3f0c1d2b9a77';
const UNKNOWN = `fsh_${'Q'.repeat(32)}`;

let server: EngineServer;
let base: string;

interface TokenBody {
  token: string;
  udf_id: string | null;
  udf_slug: string;
  udf_email: string;
  client_id: string | null;
  enabled: boolean;
  cache: boolean;
  public_read: boolean;
  access_scope: string;
  metadata_json: Record<string, unknown>;
  last_updated: string;
  file_url?: string;
}

serverForFile((started) => ({ server, url: base } = started), {
  poolSize: 1,
  prepare: (home) => home.write({
    'settings.json': JSON.stringify({ email: 'ada@example.com', handle: 'ada' }),
    'ws/Echo/meta.json': metaJson('Echo', { metadata: { 'fused:name': 'Echo', 'fused:id': ECHO_ID } }),
    'ws/Echo/Echo.py': '@fused.udf\ndef udf(word: str = "hi"):\n    return {"word": word}\n',
    'ws/Cells/meta.json': metaJson('Cells', { metadata: { 'fused:name': 'Cells', 'fused:udfType': 'vector_tile' } }),
    'ws/Cells/Cells.py': '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import pandas as pd\n    return pd.DataFrame({"west": [bounds[0]]})\n',
  }),
});

function call(method: string, path: string, body?: unknown): Promise<HttpResult> {
  return request(base, path, {
    method, headers: { ...bearer(server), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

async function create(body: Record<string, unknown>): Promise<TokenBody> {
  const created = await call('POST', `${BASE}/new`, body);
  expect(created.status, created.text).toBe(201);
  return created.json() as TokenBody;
}

describe('token management', () => {
  it('creates, reads, lists in full, changes and deletes a token, as the client sends them', async () => {
    const made = await create({
      udf_email: null, udf_slug: 'Echo', udf_id: null, client_id: 'udf-studio-local', cache: true, public_read: null,
      access_scope: null, metadata_json: { purpose: 'qgis' }, enabled: true,
    });
    expect(made.token).toMatch(/^fsh_[A-Za-z0-9_-]{32}$/);
    expect(made).toMatchObject({
      udf_slug: 'Echo', udf_id: ECHO_ID, udf_email: 'ada@example.com', client_id: 'udf-studio-local', enabled: true, metadata_json: { purpose: 'qgis' },
      owning_user_id: 'local-ada', owning_execution_environment_id: null,
    });
    expect(made.file_url).toBe(`${base}/server/v1/realtime-shared/${made.token}/run/file`);

    const listed = (await call('GET', `${BASE}/self`)).json() as TokenBody[];
    expect(listed.map((t) => t.token)).toContain(made.token);

    const path = `${BASE}/by-token/${made.token}`;
    const unchanged = { client_id: null, cache: null, public_read: null, access_scope: null, metadata_json: null };
    const disabled = (await call('POST', path, { ...unchanged, enabled: false })).json() as TokenBody;
    expect(disabled).toMatchObject({ enabled: false, cache: true, client_id: 'udf-studio-local', metadata_json: { purpose: 'qgis' } });
    expect((await request(base, `/${made.token}/run/file`)).status).toBe(403);
    await call('POST', path, { enabled: true });
    expect((await request(base, `/${made.token}/run/file`)).status).toBe(200);
    expect((await call('GET', path)).json()).toMatchObject({ token: made.token, enabled: true });

    const deleted = await call('DELETE', path);
    expect(deleted.status).toBe(200);
    expect(deleted.json()).toMatchObject({ token: made.token, udf_slug: 'Echo' });
    expect((await request(base, `/${made.token}/run/file`)).status).toBe(404);
    expect((await call('GET', path)).status).toBe(404);
  });

  it('names the UDF by id, by owner/name, by owner and name, by a name in udf_email', async () => {
    expect((await create({ udf_id: ECHO_ID })).udf_slug).toBe('Echo');
    expect((await create({ udf_slug: 'ada@example.com/Echo' })).udf_slug).toBe('Echo');
    expect((await create({ udf_email: 'ADA@example.com', udf_slug: 'Echo' })).udf_slug).toBe('Echo');
    expect((await create({ udf_email: 'ada', udf_slug: 'Cells' })).udf_slug).toBe('Cells');
    expect((await create({ udf_email: 'team', udf_slug: 'Cells' })).udf_slug).toBe('Cells');
    expect((await create({ udf_email: 'Cells' })).udf_slug).toBe('Cells');
    // A UDF without a fused:id gets the id the engine keeps for it, the same each time.
    const cells = [await create({ udf_slug: 'Cells' }), await create({ udf_slug: 'Cells' })];
    expect(cells[0]?.udf_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(cells[1]?.udf_id).toBe(cells[0]?.udf_id);
    expect((await create({ udf_id: cells[0]?.udf_id })).udf_slug).toBe('Cells');
  });

  it('pages the listing by skip and limit', async () => {
    const all = ((await call('GET', `${BASE}/self`)).json() as TokenBody[]).map((t) => t.token);
    expect(all.length).toBeGreaterThan(3);
    const page = (query: string) => call('GET', `${BASE}/self?${query}`).then((r) => (r.json() as TokenBody[]).map((t) => t.token));
    expect(await page('skip=1&limit=2')).toEqual(all.slice(1, 3));
    expect(await page('limit=0')).toEqual([]);
    expect(await page(`skip=${all.length}`)).toEqual([]);
    expect(await page(`skip=${'9'.repeat(40)}`)).toEqual([]);
    expect(await page(`limit=${'9'.repeat(40)}`)).toEqual(all);
    expect(await page('skip=0&limit=100&unknown=1')).toEqual(all);
  });

  it('runs the token at the shared base the client builds URLs on: {base}/{token}/run', async () => {
    const { token } = await create({ udf_slug: 'Echo' });
    const run = await request(base, `/server/v1/realtime-shared/${token}/run?word=shared&format=json`);
    expect(run.status).toBe(200);
    expect(run.json()).toEqual({ word: 'shared' });
    expect(run.headers['access-control-allow-origin']).toBe('*');
    const tiles = (await create({ udf_slug: 'Cells' })).token;
    const tile = await request(base, `/server/v1/realtime-shared/${tiles}/run/tiles/0/0/0?format=json`);
    expect((tile.json() as Array<{ west: number }>)[0]?.west).toBe(-180);
  });
});

describe('tokens made before full tokens were kept', () => {
  const older = `fsh_${'o'.repeat(32)}`;

  beforeAll(() => {
    const now = new Date().toISOString();
    server.services.engine.db.prepare(`INSERT INTO shared_tokens (token_hash, token_prefix, udf_slug, udf_id, udf_email, created_at, last_updated)
      VALUES (?, ?, 'Echo', NULL, 'local', ?, ?)`).run(createHash('sha256').update(older).digest('hex'), older.slice(0, 10), now, now);
  });

  it('list by their prefix, run by their value, and are managed by either', async () => {
    const listed = (await call('GET', `${BASE}/self`)).json() as TokenBody[];
    const shown = listed.find((t) => t.token.startsWith('fsh_oooooo'));
    expect(shown).toMatchObject({ token: 'fsh_oooooo…', udf_slug: 'Echo', udf_email: 'local', client_id: null });
    expect(shown?.file_url).toBeUndefined();
    expect((await request(base, `/${older}/run/file`)).status).toBe(200);
    expect((await call('GET', `${BASE}/by-token/${encodeURIComponent('fsh_oooooo…')}`)).json()).toMatchObject({ udf_slug: 'Echo' });
    expect((await call('POST', '/api/tokens/fsh_oooooo', { enabled: false })).json()).toMatchObject({ enabled: false });
    expect((await call('POST', `${BASE}/by-token/${older}`, { enabled: true })).json()).toMatchObject({ token: older, enabled: true });
    expect((await call('DELETE', `${BASE}/by-token/fsh_oooooo`)).json()).toMatchObject({ token: 'fsh_oooooo…' });
    expect((await request(base, `/${older}/run/file`)).status).toBe(404);
  });

  it('the window changes and deletes new tokens by the full token its list shows', async () => {
    const { token } = await create({ udf_slug: 'Echo' });
    expect((await call('POST', `/api/tokens/${token}`, { enabled: false })).json()).toMatchObject({ token, enabled: false });
    expect((await call('DELETE', `/api/tokens/${token}`)).status).toBe(200);
    expect((await call('GET', `${BASE}/by-token/${token}`)).status).toBe(404);
  });
});

describe('bad input', () => {
  let token: string;
  beforeAll(async () => {
    token = (await create({ udf_slug: 'Echo' })).token;
  });

  const byToken = () => `${BASE}/by-token/${token}`;
  const cases: Array<[label: string, method: string, path: () => string, body: unknown, status: number, code: string]> = [
    ['create with broken JSON', 'POST', () => `${BASE}/new`, '{"udf_slug": ', 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a JSON string', 'POST', () => `${BASE}/new`, '"Echo"', 400, 'UDF_ERR_BAD_REQUEST'],
    ['create without a UDF', 'POST', () => `${BASE}/new`, {}, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with every UDF field null', 'POST', () => `${BASE}/new`, { udf_slug: null, udf_id: null, udf_email: null }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a numeric udf_slug', 'POST', () => `${BASE}/new`, { udf_slug: 42 }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with an empty udf_slug', 'POST', () => `${BASE}/new`, { udf_slug: '' }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a huge udf_slug', 'POST', () => `${BASE}/new`, { udf_slug: 'E'.repeat(100_000) }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with an object udf_id', 'POST', () => `${BASE}/new`, { udf_id: { id: 1 } }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a non-boolean cache', 'POST', () => `${BASE}/new`, { udf_slug: 'Echo', cache: 'no' }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a numeric client_id', 'POST', () => `${BASE}/new`, { udf_slug: 'Echo', client_id: 7 }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with metadata_json a list', 'POST', () => `${BASE}/new`, { udf_slug: 'Echo', metadata_json: [1, 2] }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with huge metadata_json', 'POST', () => `${BASE}/new`, { udf_slug: 'Echo', metadata_json: { x: 'x'.repeat(100_000) } }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['create with a body over the limit', 'POST', () => `${BASE}/new`, `{"udf_slug": "${'x'.repeat(6 * 1024 * 1024)}"}`, 413, 'UDF_ERR_BODY_TOO_LARGE'],
    ['create for an unknown UDF', 'POST', () => `${BASE}/new`, { udf_slug: 'Nope' }, 404, 'UDF_ERR_NOT_FOUND'],
    ['create for an unknown owner', 'POST', () => `${BASE}/new`, { udf_email: 'someone@example.com', udf_slug: 'Echo' }, 404, 'UDF_ERR_NOT_FOUND'],
    ['create for an unknown owner in the slug', 'POST', () => `${BASE}/new`, { udf_slug: 'bob/Echo' }, 404, 'UDF_ERR_NOT_FOUND'],
    ['create for an unknown udf_id', 'POST', () => `${BASE}/new`, { udf_id: '00000000-0000-4000-8000-000000000000', udf_slug: 'Echo' }, 404, 'UDF_ERR_NOT_FOUND'],
    ['create for a path, not a name', 'POST', () => `${BASE}/new`, { udf_slug: '../ws/Echo' }, 404, 'UDF_ERR_NOT_FOUND'],
    ['update with broken JSON', 'POST', byToken, '{"enabled": fals', 400, 'UDF_ERR_BAD_REQUEST'],
    ['update with a JSON array', 'POST', byToken, '[true]', 400, 'UDF_ERR_BAD_REQUEST'],
    ['update with a non-boolean enabled', 'POST', byToken, { enabled: 'yes' }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['update with a numeric public_read', 'POST', byToken, { public_read: 1 }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['update with a huge access_scope', 'POST', byToken, { access_scope: 'a'.repeat(10_000) }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['update with bad metadata_json text', 'POST', byToken, { metadata_json: '[1' }, 400, 'UDF_ERR_BAD_REQUEST'],
    ['update of an unknown token', 'POST', () => `${BASE}/by-token/${UNKNOWN}`, { enabled: true }, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['read of an unknown token', 'GET', () => `${BASE}/by-token/${UNKNOWN}`, undefined, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['read of something not a token', 'GET', () => `${BASE}/by-token/..%2F..%2Fetc`, undefined, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['read of a bare fsh_', 'GET', () => `${BASE}/by-token/fsh_`, undefined, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['delete of an unknown token', 'DELETE', () => `${BASE}/by-token/${UNKNOWN}`, undefined, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
    ['list with a negative skip', 'GET', () => `${BASE}/self?skip=-1`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with a negative limit', 'GET', () => `${BASE}/self?limit=-25`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with a fractional limit', 'GET', () => `${BASE}/self?limit=2.5`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with a word for skip', 'GET', () => `${BASE}/self?skip=ten`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with an empty skip', 'GET', () => `${BASE}/self?skip=`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with skip given twice', 'GET', () => `${BASE}/self?skip=1&skip=2`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['list with an absurdly long skip', 'GET', () => `${BASE}/self?skip=${'9'.repeat(500)}`, undefined, 400, 'UDF_ERR_BAD_REQUEST'],
    ['window change by a short prefix', 'POST', () => '/api/tokens/fsh_ab', { enabled: true }, 404, 'UDF_ERR_TOKEN_UNKNOWN'],
  ];

  it.each(cases)('%s', async (_label, method, path, body, status, code) => {
    const answer = await call(method, path(), body);
    expect(answer.status, answer.text).toBe(status);
    expect((answer.json() as { error: { code: string } }).error.code).toBe(code);
  });

  it('refuses every token route without the private token, or with a wrong one', async () => {
    const routes: Array<[string, string, string?]> = [
      ['POST', `${BASE}/new`, '{"udf_slug": "Echo"}'], ['GET', `${BASE}/self`], ['GET', `${BASE}/self?skip=0&limit=1`],
      ['GET', byToken()], ['POST', byToken(), '{"enabled": false}'], ['DELETE', byToken()],
      ['POST', `/api/tokens/${token}`, '{"enabled": false}'], ['DELETE', `/api/tokens/${token}`],
    ];
    for (const authorization of [undefined, `Bearer ${'0'.repeat(64)}`, `Bearer ${token}`, `Bearer ${server.services.privateToken}0`, 'Basic dXNlcjpwYXNz']) {
      for (const [method, path, body] of routes) {
        const answer = await request(base, path, { method, headers: authorization ? { authorization } : {}, ...(body ? { body } : {}) });
        expect(answer.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect((answer.json() as { error: { code: string } }).error.code).toBe('UDF_ERR_AUTH_REQUIRED');
      }
    }
    expect((await call('GET', byToken())).json()).toMatchObject({ token, enabled: true });
  });
});
