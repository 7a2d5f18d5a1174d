import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedUrl } from '../../../src-main/engine/files/signed-files.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { loadOrCreateSigner } from '../../../src-main/engine/tokens/url-signature.js';
import { metaJson, RUNTIME_DIR, type TestHome } from '../../helpers/test-home.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
let base: string;
let outside: string;

const TEXT = 'hello from the bucket\n';

serverForFile((started) => ({ home, server, url: base } = started), { poolSize: 1, prepare });

/** The files the routes serve: in the home, on the shared disk, outside both, and a symlink out. */
function prepare(home: TestHome): void {
  home.write({
    'fd/notes/hello.txt': TEXT,
    'fd/notes/deeper/table.parquet': 'PAR1',
    'fd/notes/deeper/empty.bin': '',
    'mnt/cache/shared.json': '{"on": "the shared disk"}',
    'credentials-copy.txt': 'not for token holders',
    'ws/Echo/meta.json': metaJson('Echo'),
    'ws/Echo/Echo.py': '@fused.udf\ndef udf():\n    return 1\n',
  });
  outside = mkdtempSync(join(tmpdir(), 'udf-studio-outside-'));
  writeFileSync(join(outside, 'clip.mp4'), Buffer.from('0123456789'));
  symlinkSync(join(home.root, 'credentials-copy.txt'), join(home.root, 'fd', 'notes', 'escape.txt'));
  // A real Parquet file, written by the runtime's pandas.
  execFileSync(join(RUNTIME_DIR, 'bin', 'python'), ['-c', [
    'import pandas as pd, sys',
    'pd.DataFrame({"city": ["Paris", "<b>Lyon</b>", "Nice"], "people": [2100000, 520000, 340000]}).to_parquet(sys.argv[1])',
  ].join('\n'), join(home.root, 'fd', 'notes', 'cities.parquet')]);
}

afterAll(() => {
  if (outside) rmSync(outside, { recursive: true, force: true });
});

async function sign(path: string, query = ''): Promise<HttpResult> {
  return request(base, `/server/v1/files/sign?path=${encodeURIComponent(path)}${query}`, { headers: bearer(server) });
}

async function signed(path: string): Promise<string> {
  const answer = await sign(path);
  expect(answer.status, answer.text).toBe(200);
  return answer.json() as string;
}

/** Opens a URL as a browser or another process does: the URL alone, no token. */
function open(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const parsed = new URL(url);
  return request(base, `${parsed.pathname}${parsed.search}`, options);
}

function errorCode(answer: HttpResult): string {
  return (answer.json() as { error: { code: string } }).error.code;
}

describe('signing needs the private token', () => {
  it('refuses a request without a token, or with a shared token', async () => {
    const bare = await request(base, `/server/v1/files/sign?path=${encodeURIComponent('fd://notes/hello.txt')}`);
    expect(bare.status).toBe(401);
    const made = await request(base, '/server/v1/udf-access-token/new', {
      method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify({ udf_slug: 'Echo' }),
    });
    const token = (made.json() as { token: string }).token;
    const shared = await request(base, `/server/v1/files/sign?path=${encodeURIComponent('/etc/hostname')}`, { headers: { authorization: `Bearer ${token}` } });
    expect(shared.status).toBe(401);
    expect(errorCode(shared)).toBe('UDF_ERR_AUTH_REQUIRED');
  });

  it('refuses paths it does not sign, with a sentence', async () => {
    for (const [path, fragment] of [
      ['fd://../credentials', 'climbs out of the bucket'],
      ['fd://notes/../../credentials', 'climbs out of the bucket'],
      ['relative/file.txt', 'absolute path'],
      ['s3://bucket/key.parquet', 'presigns s3://'],
      ['fd://', 'not the bucket itself'],
      ['file://elsewhere/etc/hostname', 'not a file URL of this machine'],
    ] as const) {
      const answer = await sign(path);
      expect(answer.status, path).toBe(400);
      expect(answer.text).toContain(fragment);
    }
    expect((await request(base, '/server/v1/files/sign', { headers: bearer(server) })).status).toBe(400);
    expect((await sign('fd://notes/hello.txt', '&expires_in=0')).status).toBe(400);
    expect((await sign('fd://notes/hello.txt', '&expires_in=99999999')).status).toBe(400);
  });
});

describe('a signed URL opens its file without a token', () => {
  it('serves a bucket file with its type, from any origin, sandboxed', async () => {
    const url = await signed('fd://notes/hello.txt');
    expect(url).toMatch(new RegExp(`^${base}/files/signed/fd/notes/hello\\.txt\\?expires=\\d+&signature=[0-9a-f]{32}$`));
    const answer = await open(url);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(TEXT);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['content-security-policy']).toBe('sandbox');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['accept-ranges']).toBe('bytes');
  });

  it('signs an absolute path inside the bucket as a bucket file, and the shared disk and other files as local', async () => {
    expect(await signed(join(home.root, 'fd', 'notes', 'hello.txt'))).toContain('/files/signed/fd/notes/hello.txt?');
    const shared = await signed('/mnt/cache/shared.json');
    expect(shared).toContain(`/files/signed/local${join(home.root, 'mnt', 'cache', 'shared.json')}?`);
    expect((await open(shared)).json()).toEqual({ on: 'the shared disk' });
    const clip = await signed(join(outside, 'clip.mp4'));
    const answer = await open(clip);
    expect(answer.headers['content-type']).toBe('video/mp4');
    expect(answer.text).toBe('0123456789');
  });

  it('answers byte ranges and HEAD, as video players and DuckDB ask', async () => {
    const clip = await signed(join(outside, 'clip.mp4'));
    const part = await open(clip, { headers: { range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(part.text).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect((await open(clip, { headers: { range: 'bytes=-3' } })).text).toBe('789');
    expect((await open(clip, { headers: { range: 'bytes=7-' } })).text).toBe('789');
    const past = await open(clip, { headers: { range: 'bytes=10-' } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */10');
    const head = await open(clip, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('10');
    expect(head.body.length).toBe(0);
    const empty = await open(await signed('fd://notes/deeper/empty.bin'));
    expect([empty.status, empty.body.length]).toEqual([200, 0]);
  });

  it('signs every file under a folder', async () => {
    const answer = await request(base, `/server/v1/files/sign_prefix?path=${encodeURIComponent('fd://notes/deeper/')}`, { headers: bearer(server) });
    expect(answer.status, answer.text).toBe(200);
    const urls = answer.json() as Record<string, string>;
    expect(Object.keys(urls)).toEqual(['fd://notes/deeper/empty.bin', 'fd://notes/deeper/table.parquet']);
    const table = await open(urls['fd://notes/deeper/table.parquet'] as string);
    expect([table.status, table.text, table.headers['content-type']]).toEqual([200, 'PAR1', 'application/vnd.apache.parquet']);
    const missing = await request(base, `/server/v1/files/sign_prefix?path=${encodeURIComponent('fd://nothing-here/')}`, { headers: bearer(server) });
    expect([missing.status, errorCode(missing)]).toEqual([404, 'UDF_ERR_FILE_NOT_FOUND']);
  });

  it('keeps its key in the home, readable by its owner only', () => {
    expect(statSync(join(home.root, 'url-signing-key')).mode & 0o777).toBe(0o600);
  });
});

describe('nothing else is served', () => {
  it('refuses an expired URL', async () => {
    const signer = loadOrCreateSigner(join(home.root, 'url-signing-key'));
    const past = Math.floor(Date.now() / 1000) - 5;
    const answer = await open(signedUrl(base, signer, { kind: 'fd', path: 'notes/hello.txt' }, past));
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('UDF_ERR_SIGNED_URL');
    expect(answer.text).toContain('expired at');
  });

  it('refuses a tampered signature, expiry or path', async () => {
    const url = new URL(await signed('fd://notes/hello.txt'));
    const signature = url.searchParams.get('signature') as string;
    const flipped = new URL(url);
    flipped.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const elsewhere = new URL(url);
    elsewhere.pathname = '/files/signed/fd/notes/deeper/table.parquet';
    const local = new URL(url);
    local.pathname = `/files/signed/local${join(home.root, 'credentials')}`;
    const bare = new URL(url);
    bare.search = '';
    for (const tampered of [flipped, later, elsewhere, local, bare]) {
      const answer = await open(tampered.href);
      expect(answer.status, tampered.href).toBe(403);
      expect(errorCode(answer)).toBe('UDF_ERR_SIGNED_URL');
    }
  });

  it('refuses paths that climb with ..', async () => {
    const url = new URL(await signed('fd://notes/hello.txt'));
    const encoded = await open(`${base}/files/signed/fd/notes%2F..%2F..%2Fcredentials${url.search}`);
    expect([encoded.status, errorCode(encoded)]).toEqual([400, 'UDF_ERR_BAD_REQUEST']);
    expect((encoded.json() as { error: { message: string } }).error.message).toContain('may not hold ".", ".."');
    // A literal `..` is resolved by URL parsing before routing: it leaves the signed files' path.
    const literal = await request(base, `/files/signed/fd/notes/../../../credentials${url.search}`);
    expect(literal.status).toBe(404);
    const kind = await open(`${base}/files/signed/etc/passwd${url.search}`);
    expect(kind.status).toBe(404);
  });

  it('answers 404 for a signed file that does not exist or links outside the bucket', async () => {
    const missing = await open(await signed('fd://notes/not-there.txt'));
    expect([missing.status, errorCode(missing)]).toEqual([404, 'UDF_ERR_FILE_NOT_FOUND']);
    const escape = await open(await signed('fd://notes/escape.txt'));
    expect([escape.status, errorCode(escape)]).toEqual([404, 'UDF_ERR_FILE_NOT_FOUND']);
    expect(escape.text).not.toContain('not for token holders');
    const folder = await open(await signed('fd://notes'));
    expect([folder.status, errorCode(folder)]).toEqual([404, 'UDF_ERR_FILE_NOT_FOUND']);
  });

  it('shows a signed Parquet file as its schema and first rows at Fused\'s parquet-viewer URL', async () => {
    const url = await signed('fd://notes/cities.parquet');
    const answer = await request(base, `/parquet-viewer?key=${encodeURIComponent(url)}`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['content-security-policy']).toBe("sandbox; default-src 'none'; style-src 'unsafe-inline'");
    expect(answer.text).toContain('3 rows, 2 columns');
    expect(answer.text).toContain('<td>people</td><td>int64</td>');
    expect(answer.text).toContain('<td>Paris</td><td>2100000</td>');
    // Values are text, never markup.
    expect(answer.text).toContain('&lt;b&gt;Lyon&lt;/b&gt;');
    expect(answer.text).not.toContain('<b>Lyon');
  });

  it('refuses a parquet-viewer key that is not a signed Parquet file of this engine', async () => {
    const url = new URL(await signed('fd://notes/cities.parquet'));
    const flipped = new URL(url);
    flipped.searchParams.set('signature', '0'.repeat(64));
    const cases: [string, number, string][] = [
      ['', 400, 'name the file with ?key='],
      ['not a url', 400, '?key= must be a signed file URL'],
      [`${base}/api/udfs`, 400, 'a signed file URL of this engine'],
      [`${base}/files/signed/fd/notes/%E0%A4%A${url.search}`, 400, 'malformed escape'],
      [flipped.href, 403, 'does not match'],
      [await signed('fd://notes/deeper/table.parquet'), 400, 'could not be read as Parquet'],
      [await signed('fd://notes/not-there.parquet'), 404, 'not-there.parquet'],
    ];
    for (const [key, status, words] of cases) {
      const answer = await request(base, `/parquet-viewer?key=${encodeURIComponent(key)}`);
      expect(answer.status, key).toBe(status);
      expect(answer.text, key).toContain(words);
    }
  });

  it('answers 405 for another method', async () => {
    const url = await signed('fd://notes/hello.txt');
    for (const method of ['POST', 'DELETE']) {
      const answer = await open(url, { method });
      expect([answer.status, errorCode(answer)]).toEqual([405, 'UDF_ERR_METHOD']);
    }
    expect((await request(base, '/server/v1/files/sign', { method: 'POST', headers: bearer(server) })).status).toBe(405);
  });
});
