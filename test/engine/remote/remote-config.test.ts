import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;

afterEach(() => home?.remove());

function store(): RemoteStore {
  home = makeTestHome();
  return new RemoteStore(join(home.root, 'remotes.json'));
}

describe('remote settings', () => {
  it('adds, finds, lists and removes remotes in a 0600 file; the first is the default', () => {
    const remotes = store();
    expect(remotes.list()).toEqual([]);
    remotes.add('team', 'http://10.0.0.5:8765/', 'tok-1');
    remotes.add('cloud', 'https://udf.example.org/base/', 'tok-2');
    expect(statSync(join(home.root, 'remotes.json')).mode & 0o777).toBe(0o600);
    expect(remotes.get()).toEqual({ name: 'team', url: 'http://10.0.0.5:8765', token: 'tok-1' });
    expect(remotes.get('cloud').url).toBe('https://udf.example.org/base');
    expect(remotes.summaries()).toEqual([
      { name: 'team', url: 'http://10.0.0.5:8765', isDefault: true },
      { name: 'cloud', url: 'https://udf.example.org/base', isDefault: false },
    ]);
    expect(JSON.stringify(remotes.summaries())).not.toContain('tok-');
    remotes.remove('team');
    expect(remotes.get().name).toBe('cloud');
  });

  it('refuses bad names, URLs, tokens, duplicates and unknown remotes, keeping the file as it was', () => {
    const remotes = store();
    remotes.add('team', 'http://10.0.0.5:8765', 'tok');
    const before = readFileSync(join(home.root, 'remotes.json'), 'utf8');
    const bad: Array<[() => unknown, RegExp]> = [
      [() => remotes.add('1st', 'http://a', 't'), /not a usable remote name/],
      [() => remotes.add('a b', 'http://a', 't'), /not a usable remote name/],
      [() => remotes.add('x', 'not a url', 't'), /is not a URL/],
      [() => remotes.add('x', 'ftp://a', 't'), /must start with http/],
      [() => remotes.add('x', 'http://user:pw@a', 't'), /user name or password/],
      [() => remotes.add('x', 'http://a?q=1', 't'), /query or fragment/],
      [() => remotes.add('x', 'http://a', ''), /token must be non-empty/],
      [() => remotes.add('x', 'http://a', 'two words'), /without spaces/],
      [() => remotes.add('team', 'http://b', 't'), /already exists/],
      [() => remotes.remove('nope'), /no remote engine named "nope"; configured: team/],
      [() => remotes.get('nope'), /no remote engine named "nope"/],
    ];
    for (const [call, message] of bad) expect(call).toThrow(message);
    expect(readFileSync(join(home.root, 'remotes.json'), 'utf8')).toBe(before);
  });

  it('says so when no remote is configured, and when the file is damaged', () => {
    const remotes = store();
    expect(() => remotes.get()).toThrow(/no remote engine is configured; add one with: udf-studio remote add/);
    writeFileSync(join(home.root, 'remotes.json'), '{"remotes": [');
    expect(() => remotes.list()).toThrow(/remotes.json is not valid JSON/);
    writeFileSync(join(home.root, 'remotes.json'), '{"remotes": {}}');
    expect(() => remotes.list()).toThrow(/must hold \{"remotes": \[...\]\}/);
    writeFileSync(join(home.root, 'remotes.json'), '{"remotes": [{"name": "x"}]}');
    expect(() => remotes.list()).toThrow(/remotes\[0\] needs "name", "url" and "token"/);
  });
});
