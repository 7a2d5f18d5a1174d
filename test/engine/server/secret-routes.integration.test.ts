import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SecretsListing } from '../../../src-shared/app-api.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';
import type { TestHome } from '../../helpers/test-home.js';

const VALUE = 'the-Value-under-test-5520';

let home: TestHome;
let server: EngineServer;
const logs: string[] = [];

const USES_SECRET = [
  'import hashlib',
  '',
  '@fused.udf',
  'def udf():',
  '    key = fused.secrets["API_KEY"]',
  '    print("calling the service with", key)',
  '    return hashlib.sha256(key.encode()).hexdigest()',
  '',
].join('\n');

serverForFile((started) => ({ home, server } = started), { udfs: { Uses_Secret: USES_SECRET }, poolSize: 1, options: { log: (line) => logs.push(line) } });

function api(path: string, options: { method?: string; body?: string; auth?: boolean } = {}): Promise<HttpResult> {
  return request(server.url, path, {
    method: options.method ?? 'GET',
    headers: { ...(options.auth === false ? {} : bearer(server)), 'content-type': 'application/json' },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
}

const setSecret = (name: string, value: string): Promise<HttpResult> => api('/api/secrets', { method: 'POST', body: JSON.stringify({ name, value }) });
const errorOf = (answer: HttpResult): { code: string; message: string } => (answer.json() as { error: { code: string; message: string } }).error;

/** Every file under the home (its own secrets.json aside) that contains `text`. */
function filesContaining(text: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && readFileSync(path).includes(text)) found.push(relative(home.root, path));
    }
  };
  visit(home.root);
  return found.filter((path) => path !== 'secrets.json');
}

describe('secret routes', () => {
  it('need the private token', async () => {
    for (const [method, path, body] of [['GET', '/api/secrets', undefined], ['POST', '/api/secrets', JSON.stringify({ name: 'A', value: VALUE })], ['DELETE', '/api/secrets/A', undefined]] as const) {
      const refused = await api(path, { method, auth: false, ...(body ? { body } : {}) });
      expect(refused.status, `${method} ${path}`).toBe(401);
      expect(errorOf(refused).code).toBe('UDF_ERR_AUTH_REQUIRED');
    }
    const forged = await request(server.url, '/api/secrets', { headers: { authorization: 'Bearer not-the-token' } });
    expect(forged.status).toBe(401);
  });

  it('set, list names only, replace and remove; no answer carries a value', async () => {
    const created = await setSecret('API_KEY', VALUE);
    expect(created.status).toBe(201);
    expect(created.json()).toEqual({ name: 'API_KEY', replaced: false });
    expect((await setSecret('OTHER', 'second-value')).status).toBe(201);
    const listed = await api('/api/secrets');
    expect(listed.status).toBe(200);
    expect(listed.json()).toEqual({ secrets: [{ name: 'API_KEY' }, { name: 'OTHER' }] } satisfies SecretsListing);
    const replaced = await setSecret('OTHER', 'third-value');
    expect(replaced.status).toBe(200);
    expect(replaced.json()).toEqual({ name: 'OTHER', replaced: true });
    const removed = await api('/api/secrets/OTHER', { method: 'DELETE' });
    expect(removed.json()).toEqual({ name: 'OTHER', removed: true });
    expect(JSON.parse(readFileSync(join(home.root, 'secrets.json'), 'utf8'))).toEqual({ secrets: { API_KEY: VALUE } });
    expect(statSync(join(home.root, 'secrets.json')).mode & 0o777).toBe(0o600);
    for (const answer of [created, listed, replaced, removed]) expect(answer.text).not.toMatch(/the-Value|second-value|third-value/);
  });

  it('refuse malformed bodies with a clear 400 that never quotes the body', async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      [`{"name": "K", "value": ${VALUE}}`, 400, 'UDF_ERR_BAD_REQUEST', /^the request body is not valid JSON$/],
      [`["${VALUE}"]`, 400, 'UDF_ERR_BAD_REQUEST', /^the request body must be a JSON object$/],
      [JSON.stringify({ name: 'K' }), 400, 'UDF_ERR_BAD_REQUEST', /the body needs "name" and "value" strings/],
      [JSON.stringify({ name: 'K', value: 42 }), 400, 'UDF_ERR_BAD_REQUEST', /the body needs "name" and "value" strings/],
      [JSON.stringify({ value: VALUE }), 400, 'UDF_ERR_BAD_REQUEST', /the body needs "name" and "value" strings/],
      ['', 400, 'UDF_ERR_BAD_REQUEST', /the body needs "name" and "value" strings/],
      [JSON.stringify({ name: 'has space', value: VALUE }), 400, 'UDF_ERR_USAGE', /^"has space" is not a secret name: use a letter or _/],
      [JSON.stringify({ name: 'K', value: '' }), 400, 'UDF_ERR_USAGE', /^the value of secret "K" is empty$/],
      [JSON.stringify({ name: 'K', value: 'v'.repeat(65_537) }), 400, 'UDF_ERR_USAGE', /^the value of secret "K" is over 65536 bytes$/],
      [JSON.stringify({ name: 'K', value: '\u0001'.repeat(70_000) }), 413, 'UDF_ERR_BODY_TOO_LARGE', /larger than/],
    ];
    for (const [body, status, code, message] of cases) {
      const refused = await api('/api/secrets', { method: 'POST', body });
      expect(refused.status, body.slice(0, 60)).toBe(status);
      expect(errorOf(refused).code).toBe(code);
      expect(errorOf(refused).message).toMatch(message);
      expect(refused.text).not.toContain(VALUE);
    }
    expect(((await api('/api/secrets')).json() as SecretsListing).secrets.map((secret) => secret.name)).not.toContain('K');
  });

  it('say which name is unknown or malformed on DELETE', async () => {
    const unknown = await api('/api/secrets/NOPE', { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ code: 'UDF_ERR_SECRET_UNKNOWN', message: 'no secret named "NOPE"; the secrets are: API_KEY' });
    const malformed = await api('/api/secrets/bad%20name', { method: 'DELETE' });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed).code).toBe('UDF_ERR_USAGE');
  });

  it('name a secrets.json broken by hand without quoting it', async () => {
    const path = join(home.root, 'secrets.json');
    const kept = readFileSync(path);
    writeFileSync(path, `{"secrets": {"API_KEY": "${VALUE}`);
    try {
      const broken = await api('/api/secrets');
      expect(broken.status).toBe(422);
      expect(errorOf(broken)).toMatchObject({ code: 'UDF_ERR_SECRETS_FILE', message: `${path} is not valid JSON; fix it, or remove it and set the secrets again` });
      expect(broken.text).not.toContain(VALUE);
    } finally {
      writeFileSync(path, kept);
    }
  });
});

describe('a UDF reading fused.secrets on the engine\'s workers', () => {
  it('sees a secret set meanwhile, and its value stays out of the metadata, the logs, the cache and engine.json', async () => {
    rmSync(join(home.root, 'secrets.json'), { force: true });
    const missing = await api('/api/udfs/Uses_Secret/run', { method: 'POST', body: '{}' });
    expect(missing.status).toBe(422);
    expect(errorOf(missing)).toMatchObject({
      code: 'UDF_ERR_RUNTIME',
      message: "no secret named 'API_KEY'; set it with: udf-studio secret set API_KEY (or add it in the window's Secrets view)",
      exceptionClass: 'SecretNotFoundError',
      line: 5,
    });

    expect((await setSecret('API_KEY', VALUE)).status).toBe(201);
    const seen = await api('/api/udfs/Uses_Secret/run', { method: 'POST', body: '{}' });
    expect(seen.status).toBe(200);
    expect(seen.json()).toBe(createHash('sha256').update(VALUE).digest('hex'));
    expect(seen.headers['x-udf-studio-cache']).toBe('miss');
    const metadata = JSON.parse(String(seen.headers['x-fused-metadata'])) as { stdout: string };
    expect(metadata.stdout).toBe('calling the service with ***\n');
    const again = await api('/api/udfs/Uses_Secret/run', { method: 'POST', body: '{}' });
    expect(again.headers['x-udf-studio-cache']).toBe('hit');
    expect(String(again.headers['x-fused-metadata'])).not.toContain(VALUE);

    expect(filesContaining(VALUE)).toEqual([]);
    expect(filesContaining('calling the service with ***').length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(VALUE);
  }, 60_000);
});
