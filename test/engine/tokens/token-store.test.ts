import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openDatabase, type Db } from '../../../src-main/engine/store/database.js';
import { TokenStore } from '../../../src-main/engine/tokens/token-store.js';
import { MAX_METADATA_BYTES, tokenUpdateFromBody } from '../../../src-main/engine/tokens/token-request.js';

let db: Db;
let store: TokenStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  store = new TokenStore(db);
});

afterEach(() => db.close());

/** A token as versions before schema 4 stored it: its hash and prefix only. */
function insertOlderToken(target: Db, token: string, slug: string): void {
  const now = new Date().toISOString();
  target.prepare(`INSERT INTO shared_tokens (token_hash, token_prefix, udf_slug, udf_id, udf_email, created_at, last_updated)
                  VALUES (?, ?, ?, NULL, 'local', ?, ?)`).run(createHash('sha256').update(token).digest('hex'), token.slice(0, 10), slug, now, now);
}

describe('TokenStore', () => {
  it('keeps new tokens in full: listed, read and found by their value', () => {
    const made = store.create({ udfSlug: 'Greet', udfId: 'id-1', udfEmail: 'me@example.com', clientId: 'c1', metadata: { a: 1 } });
    expect(made.token).toMatch(/^fsh_[A-Za-z0-9_-]{32}$/);
    expect(made).toMatchObject({ udf_slug: 'Greet', udf_id: 'id-1', udf_email: 'me@example.com', client_id: 'c1', enabled: true, cache: true, public_read: false, access_scope: 'run', metadata_json: { a: 1 } });
    expect(store.list()).toEqual([made]);
    expect(store.get(made.token)).toEqual(made);
    expect(store.find(made.token)).toEqual(made);
    // Still looked up by hash: the runtime's `fused` reads that column when no engine runs.
    const row = db.prepare('SELECT token_hash FROM shared_tokens').get() as { token_hash: string };
    expect(row.token_hash).toBe(createHash('sha256').update(made.token).digest('hex'));
  });

  it('pages the listing newest first; skips and limits past the end are empty pages', () => {
    const made = Array.from({ length: 5 }, (_, i) => store.create({ udfSlug: `U${i}` }).token).reverse();
    expect(store.list().map((t) => t.token)).toEqual(made);
    expect(store.list({ skip: 1, limit: 2 }).map((t) => t.token)).toEqual(made.slice(1, 3));
    expect(store.list({ limit: 0 })).toEqual([]);
    expect(store.list({ skip: 5 })).toEqual([]);
    expect(store.list({ skip: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER })).toEqual([]);
    expect(store.list({ limit: Number.MAX_SAFE_INTEGER }).map((t) => t.token)).toEqual(made);
  });

  it('updates only the fields given, and answers the deleted token', () => {
    const made = store.create({ udfSlug: 'Greet', cache: false, accessScope: 'team', clientId: 'c1', metadata: { keep: true } });
    const changed = store.update(made.token, { enabled: false });
    expect(changed).toMatchObject({ enabled: false, cache: false, access_scope: 'team', client_id: 'c1', metadata_json: { keep: true } });
    expect(store.find(made.token)?.enabled).toBe(false);
    const again = store.update(made.token, { publicRead: true, clientId: 'c2', metadata: {} });
    expect(again).toMatchObject({ enabled: false, public_read: true, client_id: 'c2', metadata_json: {} });
    expect(store.delete(made.token)).toEqual(again);
    expect(store.list()).toEqual([]);
    expect(store.find(made.token)).toBeNull();
    expect(() => store.get(made.token)).toThrow(/no such shared token/);
  });

  it('finds tokens made before full tokens were kept by their listing prefix', () => {
    const older = `fsh_${'a'.repeat(32)}`;
    insertOlderToken(db, older, 'Old');
    const [listed] = store.list();
    expect(listed?.token).toBe('fsh_aaaaaa…');
    expect(store.find(older)?.udf_slug).toBe('Old');
    expect(store.get('fsh_aaaaaa…').udf_slug).toBe('Old');
    expect(store.update('fsh_aaaaaa', { enabled: false }).enabled).toBe(false);
    expect(store.delete('fsh_aaaaaa…').token).toBe('fsh_aaaaaa…');
    expect(store.list()).toEqual([]);
  });

  it('finds a new token by its first characters too, and refuses ambiguous or short ones', () => {
    const made = store.create({ udfSlug: 'New' });
    expect(store.get(made.token.slice(0, 14)).token).toBe(made.token);
    insertOlderToken(db, `${made.token.slice(0, 10)}${'z'.repeat(26)}`, 'Clash');
    expect(() => store.get(made.token.slice(0, 10))).toThrow(/2 tokens start with/);
    expect(store.get(made.token.slice(0, 12)).token).toBe(made.token);
    expect(() => store.get('fsh_ab')).toThrow(/no such shared token/);
    expect(() => store.get('fsh_zzzzzz')).toThrow(/no shared token starts with fsh_zzzzzz/);
    expect(() => store.get('../../etc')).toThrow(/no such shared token/);
  });
});

describe('a database from before full tokens were kept', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'udf-studio-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens with its tokens working, and new tokens beside them are kept in full', () => {
    const path = join(dir, 'old.sqlite');
    const old = new Database(path);
    // Schema 3, as it shipped.
    for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
    const older = `fsh_${'b'.repeat(32)}`;
    insertOlderToken(old, older, 'Old');
    old.pragma('user_version = 3');
    old.close();

    const reopened = openDatabase(path);
    try {
      expect(reopened.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const tokens = new TokenStore(reopened);
      expect(tokens.find(older)).toMatchObject({ token: older, udf_slug: 'Old', client_id: null, enabled: true });
      const made = tokens.create({ udfSlug: 'New' });
      expect(tokens.list().map((t) => t.token)).toEqual([made.token, 'fsh_bbbbbb…']);
    } finally {
      reopened.close();
    }
  });
});

describe('tokenUpdateFromBody', () => {
  it('reads what the client sends; null means unchanged', () => {
    expect(tokenUpdateFromBody({ client_id: null, cache: null, public_read: null, access_scope: null, metadata_json: null, enabled: null })).toEqual({});
    expect(tokenUpdateFromBody({ enabled: false, cache: true, public_read: true, access_scope: 'team', client_id: 'c', metadata_json: { a: 1 }, other: 'ignored' }))
      .toEqual({ enabled: false, cache: true, publicRead: true, accessScope: 'team', clientId: 'c', metadata: { a: 1 } });
    expect(tokenUpdateFromBody({ metadata_json: '{"a": 2}' })).toEqual({ metadata: { a: 2 } });
  });

  it.each([
    [{ enabled: 'yes' }, /"enabled" must be true, false or null/],
    [{ cache: 1 }, /"cache"/],
    [{ public_read: [] }, /"public_read"/],
    [{ access_scope: 5 }, /"access_scope" must be a string/],
    [{ access_scope: '' }, /"access_scope" must be a string/],
    [{ access_scope: 'x'.repeat(65) }, /"access_scope" must be a string of 1 to 64/],
    [{ client_id: 'x'.repeat(201) }, /"client_id"/],
    [{ metadata_json: [1] }, /"metadata_json" must be a JSON object/],
    [{ metadata_json: '[1' }, /"metadata_json" must be a JSON object/],
    [{ metadata_json: 7 }, /"metadata_json" must be a JSON object/],
    [{ metadata_json: { big: 'x'.repeat(MAX_METADATA_BYTES) } }, /at most 65536 bytes/],
  ])('refuses %j', (body, message) => {
    expect(() => tokenUpdateFromBody(body)).toThrow(message);
  });
});
