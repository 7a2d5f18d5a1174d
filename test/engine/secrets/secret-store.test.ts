import { beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretStore } from '../../../src-main/engine/secrets/secret-store.js';
import { homeForEachTest } from '../../helpers/test-home.js';

const VALUE = 'never-shown-7731';
const home = homeForEachTest({ prefix: 'udf-studio-secrets-' });
let path: string;
let store: SecretStore;

beforeEach(() => {
  path = join(home.root, 'secrets.json');
  store = new SecretStore(path);
});

describe('SecretStore', () => {
  it('keeps names sorted, values in an owner-only file, and reports replacing', () => {
    expect(store.names()).toEqual([]);
    expect(store.set('b', VALUE)).toEqual({ replaced: false });
    expect(store.set('A', 'x')).toEqual({ replaced: false });
    expect(store.set('b', 'y')).toEqual({ replaced: true });
    expect(store.names()).toEqual(['A', 'b']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ secrets: { A: 'x', b: 'y' } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('takes names that are also properties of plain objects', () => {
    store.set('constructor', VALUE);
    store.set('__proto__', VALUE);
    expect(store.names()).toEqual(['__proto__', 'constructor']);
    expect(Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { secrets: object }).secrets)).toEqual(['__proto__', 'constructor']);
    store.remove('__proto__');
    expect(store.names()).toEqual(['constructor']);
    expect(() => store.remove('toString')).toThrow(/^no secret named "toString"; the secrets are: constructor$/);
  });

  it('reads the file the runtime writes', () => {
    writeFileSync(path, JSON.stringify({ secrets: { FROM_PYTHON: VALUE } }, null, 2));
    expect(store.names()).toEqual(['FROM_PYTHON']);
  });

  it.each([
    [`{"secrets": {"K": "${VALUE}`, /is not valid JSON; fix it/],
    [`["${VALUE}"]`, /must hold \{"secrets": \{"NAME": "value"\}\}/],
    [JSON.stringify({ secrets: { K: [VALUE] } }), /the value of secret "K" is not a string/],
  ])('names a broken file without quoting it: %s', (content, message) => {
    writeFileSync(path, content);
    let caught: Error | null = null;
    try {
      store.names();
    } catch (error) {
      caught = error as Error;
    }
    expect(caught?.message).toMatch(message);
    expect(caught?.message).toContain(path);
    expect(caught?.message).not.toContain(VALUE);
  });

  it('refuses bad names and values, quoting names only', () => {
    expect(() => store.set('has space', VALUE)).toThrow(/"has space" is not a secret name/);
    expect(() => store.set('K', '')).toThrow(/the value of secret "K" is empty/);
    expect(() => store.set('K', 'é'.repeat(32_769))).toThrow(/the value of secret "K" is over 65536 bytes/);
    expect(() => store.remove('K')).toThrow(/no secret named "K"; there are none \(set one with: udf-studio secret set NAME\)/);
  });
});
