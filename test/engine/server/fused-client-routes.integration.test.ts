/**
 * What the official fused client needs beyond the run routes, over real HTTP: the local account,
 * the realtime instance it picks a client id from, every auth scheme it sends, the query
 * parameters and headers it adds to every run, and the settings that name the account.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, serverForFile } from '../../helpers/server.js';
import type { TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let server: EngineServer;
let base: string;
let token: string;

const UDFS: Record<string, string> = {
  Greet: '@fused.udf\ndef udf(name: str = "world"):\n    return f"hello {name}"\n',
  Page: '@fused.udf\ndef udf():\n    return "<p>hi</p>"\n',
};

serverForFile((started) => ({ home, server, url: base } = started), { udfs: UDFS });

beforeAll(async () => {
  const created = await request(base, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: 'Greet' }) });
  token = (created.json() as { token: string }).token;
}, 120_000);

describe('the local account', () => {
  it('answers /user/self with the system user until the settings name one', async () => {
    const first = await request(base, '/server/v1/user/self', { headers: bearer(server) });
    expect(first.status).toBe(200);
    const account = first.json() as { email: string; handle: string; id: string; name: string };
    expect(account.email).toBe(`${account.handle}@localhost`);
    expect(account.handle).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);

    const set = await request(base, '/api/settings', { method: 'POST', headers: bearer(server), body: JSON.stringify({ email: 'ada@example.com', handle: 'ada' }) });
    expect(set.status).toBe(200);
    expect(set.json()).toMatchObject({ account: { email: 'ada@example.com', handle: 'ada' }, accountSet: { email: true, handle: true } });
    expect((await request(base, '/server/v1/user/self', { headers: bearer(server) })).json()).toMatchObject({ email: 'ada@example.com', handle: 'ada' });

    const reset = await request(base, '/api/settings', { method: 'POST', headers: bearer(server), body: JSON.stringify({ email: null, handle: null }) });
    expect(reset.json()).toMatchObject({ account: { email: account.email, handle: account.handle }, accountSet: { email: false, handle: false } });
  });

  it('refuses malformed emails and handles, writing nothing', async () => {
    for (const body of [{ email: 'not an email' }, { email: 7 }, { email: 'a@b/c' }, { handle: 'has space' }, { handle: '' }, { handle: 'x'.repeat(65) }]) {
      const refused = await request(base, '/api/settings', { method: 'POST', headers: bearer(server), body: JSON.stringify(body) });
      expect(refused.status).toBe(400);
      expect((refused.json() as { detail: string }).detail).toMatch(/"(email|handle)" must be/);
    }
    expect((await request(base, '/api/settings', { headers: bearer(server) })).json()).toMatchObject({ accountSet: { email: false, handle: false } });
  });

  it('lists one realtime instance whose id the private routes accept', async () => {
    for (const path of ['/server/v1/realtime-instance', '/server/v1/realtime-instance/available']) {
      const listed = await request(base, path, { headers: bearer(server) });
      expect(listed.status).toBe(200);
      const [instance, ...rest] = listed.json() as Array<{ client_id: string }>;
      expect(rest).toEqual([]);
      const run = await request(base, `/server/v1/realtime/${instance?.client_id}/api/v1/run/udf/saved/me/Greet?format=json`, { headers: bearer(server) });
      expect(run.json()).toBe('hello world');
    }
  });

  it('needs the private token', async () => {
    for (const path of ['/server/v1/user/self', '/server/v1/realtime-instance/available']) {
      expect((await request(base, path)).status).toBe(401);
    }
  });

  it('gives the settings page the lines for the official client, reading the token from its file', async () => {
    const settings = (await request(base, '/api/settings', { headers: bearer(server) })).json() as { fusedClientSetup: string };
    expect(settings.fusedClientSetup).toContain(`fused._env("${base}")`);
    expect(settings.fusedClientSetup).toContain(JSON.stringify(join(home.root, 'credentials')));
    expect(settings.fusedClientSetup).not.toContain(server.services.privateToken);
  });
});

describe('auth schemes the client sends', () => {
  it('takes the private token after each of them and refuses anything else', async () => {
    const secret = server.services.privateToken;
    for (const scheme of ['Bearer', 'bearer', 'Fused-Env-Bearer', 'Fused-Rtenv-Bearer', 'Fused-Service-Token', 'fused-service-token']) {
      expect((await request(base, '/server/v1/user/self', { headers: { authorization: `${scheme} ${secret}` } })).status).toBe(200);
    }
    for (const header of [`Basic ${secret}`, `Bearer ${secret.slice(1)}`, 'Fused-Env-Bearer', `Fused-Env-Bearer  `, `${secret}`]) {
      const refused = await request(base, '/server/v1/user/self', { headers: { authorization: header } });
      expect(refused.status).toBe(401);
      expect((refused.json() as { detail: string }).detail).toMatch(/private token/);
    }
  });
});

describe('what the client adds to every run', () => {
  it('ignores profile and fused_cache_disable_stream, and drops its own run options', async () => {
    const run = await request(base, `/${token}/run/file?format=json&profile=false&fused_cache_disable_stream=true&_stream_logs=false&verbose=true&name=Ada`);
    expect(run.status).toBe(200);
    expect(run.json()).toBe('hello Ada');
  });

  it('still refuses a parameter the UDF does not take', async () => {
    const run = await request(base, `/${token}/run/file?format=json&colour=red`);
    expect(run.status).toBe(400);
    expect((run.json() as { detail: string }).detail).toMatch(/colour/);
  });

  it('answers strings as JSON from its default format list, and as text or HTML otherwise', async () => {
    const asJson = await request(base, `/${token}/run/file?format=npy,tiff,parquet,json`);
    expect(asJson.headers['content-type']).toBe('application/json');
    expect(asJson.json()).toBe('hello world');
    expect((await request(base, `/${token}/run/file`)).headers['content-type']).toBe('text/plain; charset=utf-8');
    const page = await request(base, '/server/v1/realtime/c/api/v1/run/udf/saved/me/Page', { headers: bearer(server) });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('X-Fused-Cache-Disable turns off HTTP revalidation but not the result cache', async () => {
    const path = `/${token}/run/file?format=json&name=cached`;
    const plain = await request(base, path);
    const etag = String(plain.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    expect((await request(base, path, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const disabled = await request(base, path, { headers: { 'if-none-match': etag, 'x-fused-cache-disable': 'true' } });
    expect(disabled.status).toBe(200);
    expect(disabled.headers.etag).toBeUndefined();
    expect(disabled.headers['cache-control']).toBe('no-store');
    expect(disabled.headers['x-fused-cached']).toBe('true');
    expect(disabled.json()).toBe('hello cached');
  });
});
