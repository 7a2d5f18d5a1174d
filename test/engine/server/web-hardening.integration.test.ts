/**
 * Issue 16's points on the web surface, against a real server with real workers: what a shared
 * result may do, what a session needs, what state-changing routes ask for, the metadata header's
 * size, parameter names and the Host check. The fault-injection cases (a forged Origin, a replayed
 * cookie) each check the attack's answer, the next run's answer and `/healthz`.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { METADATA_HEADER_LIMIT } from '../../../src-main/engine/server/http-response.js';
import type { TestHome } from '../../helpers/test-home.js';
import { bearer, openWindowSession, request, serverForFile, type WindowSession } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
let base: string;
let session: WindowSession;
const tokens: Record<string, string> = {};

const UDFS: Record<string, string> = {
  // Echoes its parameter into HTML unescaped, as a careless UDF would.
  Echo_Html: '@fused.udf\ndef udf(msg: str = "hi"):\n    return f"<!DOCTYPE html><html><body><p>{msg}</p></body></html>"\n',
  Echo: '@fused.udf\ndef udf(word: str = "hi"):\n    return {"word": word}\n',
  Proto_Names: '@fused.udf\ndef udf(constructor: str = "c", toString: str = "t", __proto__: str = "p"):\n    return {"constructor": constructor, "toString": toString, "proto": __proto__}\n',
  Unicode_Failure: '@fused.udf\ndef udf():\n    print("é" * 5000)\n    Failure = type("Ошибка" * 1000, (ValueError,), {})\n    raise Failure("ü" * 5000)\n',
};

/** A code run that leaves a file behind: proof that code ran. */
function markerRun(marker: string): string {
  const code = `@fused.udf\ndef udf():\n    open(${JSON.stringify(marker)}, "w").write("ran")\n    return {"ran": True}\n`;
  return JSON.stringify({ step_config: { type: 'udf', udf: { name: 'marker', code } } });
}
const CODE_RUN = '/server/v1/realtime/c/api/v1/run/udf';

/** The next run works and the server is healthy: what every fault-injection case ends with. */
async function expectStillServing(): Promise<void> {
  const next = await request(base, `/${tokens.Echo}.json?word=after`);
  expect(next.status).toBe(200);
  expect(next.json()).toEqual({ word: 'after' });
  const health = await request(base, '/healthz');
  expect(health.status).toBe(200);
  expect(health.json()).toMatchObject({ status: 'ok' });
}

serverForFile((started) => ({ home, server, url: base } = started), { udfs: UDFS, poolSize: 1 });

beforeAll(async () => {
  for (const name of Object.keys(UDFS)) {
    const created = await request(base, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: name }) });
    tokens[name] = (created.json() as { token: string }).token;
  }
  session = await openWindowSession(base, server.sessionLink());
}, 120_000);

describe('#1: UDF output cannot act as the app', () => {
  it('#1: every run result, its errors and revalidations included, is served sandboxed with nosniff', async () => {
    const hostile = encodeURIComponent('<script>fetch("/api/library")</script>');
    const answers = [
      await request(base, `/${tokens.Echo_Html}.html?msg=${hostile}`),
      await request(base, `/server/v1/realtime-shared/${tokens.Echo_Html}/run/file?format=html&msg=x`),
      await request(base, `/${tokens.Echo}.json`),
      await request(base, `/${tokens.Unicode_Failure}.json`),
      await request(base, '/server/v1/realtime/c/api/v1/run/udf/saved/me/Echo_Html', { headers: bearer(server) }),
      await request(base, '/api/udfs/Echo_Html/run', { method: 'POST', headers: session.headers({ 'content-type': 'application/json' }), body: '{"params": {}}' }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 422, 200, 200]);
    expect(answers[0]?.headers['content-type']).toMatch(/^text\/html/);
    expect(answers[0]?.text).toContain('<script>');
    for (const answer of answers) {
      expect(answer.headers['content-security-policy']).toBe('sandbox allow-scripts');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    const etag = String(answers[2]?.headers.etag);
    const revalidated = await request(base, `/${tokens.Echo}.json`, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['content-security-policy']).toBe('sandbox allow-scripts');
  });
});

describe('#4: a session needs what only the window holds', () => {
  it('#4: a replayed session cookie runs nothing, from a plain client or with forged fetch metadata', async () => {
    const marker = join(home.root, 'replayed-cookie-ran');
    const replays: Array<Record<string, string>> = [
      { cookie: session.cookie, 'content-type': 'application/json' },
      { cookie: session.cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', origin: base },
    ];
    for (const headers of replays) {
      const answer = await request(base, CODE_RUN, { method: 'POST', headers, body: markerRun(marker) });
      expect(answer.status).toBe(401);
      const { error } = answer.json() as { error: { code: string; message: string } };
      expect(error.code).toBe('UDF_ERR_AUTH_REQUIRED');
      expect(error.message).toMatch(/session key/);
      expect((await request(base, '/api/library', { headers })).status).toBe(401);
    }
    expect(existsSync(marker)).toBe(false);
    // The window itself (cookie and key) still runs, and so does everything else.
    const windowRun = await request(base, '/api/udfs/Echo/run', { method: 'POST', headers: session.headers({ 'content-type': 'application/json' }), body: '{"params": {"word": "mine"}}' });
    expect(windowRun.status).toBe(200);
    expect(windowRun.json()).toEqual({ word: 'mine' });
    await expectStillServing();
  });

  it('GET /api/session says whether a key belongs to the browser\'s session, before the page keeps it', async () => {
    expect((await request(base, '/api/session', { headers: session.headers() })).status).toBe(204);
    expect((await request(base, '/api/session', { headers: session.headers({ 'x-udf-studio-session': 'A'.repeat(43) }) })).status).toBe(401);
    expect((await request(base, '/api/session', { headers: { cookie: session.cookie } })).status).toBe(401);
    expect((await request(base, '/api/session', { headers: bearer(server) })).status).toBe(204);
  });

  it('#4: the event stream takes the key in its query, as EventSource cannot send headers', async () => {
    const stream = (path: string, headers: Record<string, string>): Promise<number> => new Promise((resolve, reject) => {
      const req = get(`${base}${path}`, { headers }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
    });
    const cookieOnly = { cookie: session.cookie, 'sec-fetch-site': 'same-origin' };
    expect(await stream(`/api/events?session-key=${session.key}`, cookieOnly)).toBe(200);
    expect(await stream('/api/events', cookieOnly)).toBe(401);
    expect(await stream('/api/events?session-key=wrong', cookieOnly)).toBe(401);
  });
});

describe('#5: state-changing routes need a credential, always', () => {
  // A package name that is refused before anything is installed: on the old code the forged
  // Origin got past the guard and the request reached that check (400), changing nothing.
  it('#5: a forged Origin with no credential is refused before the request is read', async () => {
    const install = (headers: Record<string, string>): ReturnType<typeof request> => request(base, '/api/runtime/packages', {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ packages: ['../not a package'] }),
    });
    const forgeries: Array<Record<string, string>> = [{ origin: base }, { origin: base, 'sec-fetch-site': 'same-origin' }];
    for (const headers of forgeries) {
      const forged = await install(headers);
      expect(forged.status).toBe(401);
      expect(forged.json()).toMatchObject({ error: { code: 'UDF_ERR_AUTH_REQUIRED' } });
    }
    // With a credential the request is read (and this name refused as it should be).
    expect((await install(session.headers())).json()).toMatchObject({ error: { code: 'UDF_ERR_BAD_PACKAGE' } });
    await expectStillServing();
  });
});

describe('#12: x-fused-metadata fits what Node\'s HTTP client reads', () => {
  it('#12: a run that prints and raises with long non-ASCII texts is answered to a plain Node client', async () => {
    const answer = await new Promise<{ status: number; metadata: string }>((resolve, reject) => {
      get(`${base}/${tokens.Unicode_Failure}.json`, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, metadata: String(res.headers['x-fused-metadata']) });
      }).on('error', reject);
    });
    expect(answer.status).toBe(422);
    expect(Buffer.byteLength(answer.metadata)).toBeLessThanOrEqual(METADATA_HEADER_LIMIT);
    const metadata = JSON.parse(answer.metadata) as Record<string, string>;
    expect(metadata.exception_class).toMatch(/^(Ошибка)+.*… \(\d+ more characters\)$/);
    expect(metadata.stdout).toMatch(/^é+… \(\d+ more characters\)$/);
    await expectStillServing();
  });
});

describe('#15: parameter names', () => {
  it('#15: constructor, toString and __proto__ reach the UDF, by a shared URL and from the window', async () => {
    const shared = await request(base, `/${tokens.Proto_Names}.json?constructor=a&toString=b&__proto__=c`);
    expect(shared.status).toBe(200);
    expect(shared.json()).toEqual({ constructor: 'a', toString: 'b', proto: 'c' });
    const fromWindow = await request(base, '/api/udfs/Proto_Names/run', {
      method: 'POST', headers: session.headers({ 'content-type': 'application/json' }), body: '{"params": {"constructor": "d", "toString": "e", "__proto__": "f"}}',
    });
    expect(fromWindow.status).toBe(200);
    expect(fromWindow.json()).toEqual({ constructor: 'd', toString: 'e', proto: 'f' });
    expect((await request(base, `/${tokens.Proto_Names}.json?toString=1&toString=2`)).json()).toMatchObject({ error: { code: 'UDF_ERR_PARAM' } });
  });
});

describe('#16: the Host check', () => {
  const refusesHost = async (host: string): Promise<void> => {
    const answer = await request(base, '/healthz', { headers: { host } });
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ error: { code: 'UDF_ERR_HOST' } });
  };

  it.each(['[::1]evil.example', '[::1].evil.example:8765', '[::1]@evil.example', '[::1]:80:80'])('#16: refuses Host %j ([::1] followed by anything)', refusesHost);

  it.each(['[::1', 'localhost:80evil', '127.0.0.1.evil.example', '::1'])('refuses the malformed or foreign Host %j', refusesHost);

  it('accepts the loopback names, with or without a port', async () => {
    const port = new URL(base).port;
    for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, '[::1]', `LOCALHOST:${port}`]) {
      expect((await request(base, '/healthz', { headers: { host } })).status, host).toBe(200);
    }
  });
});
