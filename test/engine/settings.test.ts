import { beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SettingsStore } from '../../src-main/engine/settings.js';
import { UdfStudioError } from '../../src-shared/errors.js';
import { homeForEachTest } from '../helpers/test-home.js';

const home = homeForEachTest({ prefix: 'udf-studio-settings-' });
let file: string;
let store: SettingsStore;

beforeEach(() => {
  file = join(home.root, 'settings.json');
  store = new SettingsStore(file);
});

function errorOf(action: () => unknown): UdfStudioError {
  try {
    action();
  } catch (error) {
    if (error instanceof UdfStudioError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('reading settings.json', () => {
  it('gives the defaults when there is no file', () => {
    expect(store.read()).toEqual({ workspaces: null, port: null, editorCommand: null, email: null, handle: null, autoInstallPackages: null, githubClones: null });
  });

  it('reads what update wrote', () => {
    const folder = join(home.root, 'ws');
    mkdirSync(folder);
    store.update({ workspaces: [folder, `${folder}/`], port: 9000, editorCommand: ' code {file} ', email: 'ada@example.com', handle: 'ada', autoInstallPackages: true, githubClones: { 'fusedio/udfs': `${folder}/` } });
    const written = { workspaces: [folder], port: 9000, editorCommand: 'code {file}', email: 'ada@example.com', handle: 'ada', autoInstallPackages: true, githubClones: { 'fusedio/udfs': folder } };
    expect(store.read()).toEqual(written);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(written);
  });

  it('names the file and the problem for a malformed file', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"port": 80', /is not valid JSON/],
      ['[1, 2]', /must hold a JSON object/],
      ['"port"', /must hold a JSON object/],
      ['{"port": 80}', /"port" must be a whole number from 1024 to 65535, got 80/],
      ['{"port": "8765"}', /"port" must be a whole number/],
      ['{"port": 8765.5}', /"port" must be a whole number/],
      ['{"workspaces": "/tmp"}', /"workspaces" must be a list of folder paths/],
      ['{"workspaces": []}', /"workspaces" needs at least one folder/],
      ['{"workspaces": ["relative/udfs"]}', /"workspaces"\[0\] must be an absolute path/],
      ['{"workspaces": [7]}', /"workspaces"\[0\] must be a folder path/],
      ['{"editorCommand": 3}', /"editorCommand" must be a string or null/],
      ['{"email": "ada"}', /"email" must be an address such as ada@example.com, got "ada"/],
      ['{"email": ["a@b"]}', /"email" must be an address/],
      ['{"handle": "a b"}', /"handle" must be 1 to 64 letters/],
      ['{"handle": 5}', /"handle" must be 1 to 64 letters/],
      ['{"githubClones": ["/srv/udfs"]}', /"githubClones" must be an object such as \{"fusedio\/udfs": "\/path\/to\/clone"\}/],
      ['{"githubClones": "/srv/udfs"}', /"githubClones" must be an object/],
      ['{"githubClones": {"udfs": "/srv/udfs"}}', /"githubClones" names repositories as "org\/repo", got "udfs"/],
      ['{"githubClones": {"fusedio/udfs/public": "/srv/udfs"}}', /names repositories as "org\/repo"/],
      ['{"githubClones": {"fusedio/udfs": "clones/udfs"}}', /"githubClones"\["fusedio\/udfs"\] must be an absolute path, got "clones\/udfs"/],
      ['{"githubClones": {"fusedio/udfs": 3}}', /must be an absolute path, got 3/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(file, content);
      const error = errorOf(() => store.read());
      expect(error.code, content).toBe('UDF_ERR_SETTINGS');
      expect(error.message, content).toMatch(message);
      expect(error.message, content).toContain(file);
      expect(error.data.file).toBe(file);
    }
  });

  it('keeps clones that are gone when reading, leaving the worker that loads from one to say so', () => {
    writeFileSync(file, JSON.stringify({ githubClones: { 'fusedio/udfs': join(home.root, 'gone') } }));
    expect(store.read().githubClones).toEqual({ 'fusedio/udfs': join(home.root, 'gone') });
  });

  it('keeps folders that are gone when reading (an unplugged drive), leaving the engine to skip them', () => {
    writeFileSync(file, JSON.stringify({ workspaces: [join(home.root, 'gone')] }));
    expect(store.read().workspaces).toEqual([join(home.root, 'gone')]);
  });
});

describe('changing settings', () => {
  it('refuses bad values with a clear error and writes nothing', () => {
    store.update({ port: 9100 });
    const before = readFileSync(file, 'utf8');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ port: 1023 }, /from 1024 to 65535, got 1023/],
      [{ port: 65536 }, /from 1024 to 65535/],
      [{ port: 0 }, /from 1024 to 65535/],
      [{ port: 'high' }, /whole number/],
      [{ workspaces: [join(home.root, 'missing')] }, /does not exist; create it first/],
      [{ workspaces: [file] }, /is not a folder/],
      [{ workspaces: [] }, /at least one folder/],
      [{ workspaces: ['udfs'] }, /absolute path/],
      [{ workspaces: Array.from({ length: 40 }, (_, index) => join(home.root, String(index))) }, /at most 32/],
      [{ theme: 'dark' }, /"theme" is not a setting \(known: workspaces, port, editorCommand, email, handle, autoInstallPackages, githubClones\)/],
      [{ githubClones: { 'fusedio/udfs': join(home.root, 'missing') } }, /the clone of fusedio\/udfs, .*missing, is not a folder; clone it first/],
      [{ githubClones: { 'fusedio/udfs': 'udfs' } }, /must be an absolute path/],
      [{ githubClones: [] }, /must be an object/],
      [{ port: 9200, workspaces: 'nope' }, /must be a list/],
      [{ editorCommand: 'x'.repeat(1_001) }, /longer than 1000/],
      [{ autoInstallPackages: 'yes' }, /"autoInstallPackages" must be true or false, got "yes"/],
    ];
    for (const [changes, message] of cases) {
      const error = errorOf(() => store.update(changes));
      expect(error.code, JSON.stringify(changes).slice(0, 80)).toBe('UDF_ERR_BAD_REQUEST');
      expect(error.message).toMatch(message);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(home.root)).toEqual(['settings.json']);
  });

  it('null goes back to the default', () => {
    store.update({ port: 9100, editorCommand: 'vi {file}' });
    store.update({ port: null, editorCommand: null, workspaces: null });
    expect(store.read()).toEqual({ workspaces: null, port: null, editorCommand: null, email: null, handle: null, autoInstallPackages: null, githubClones: null });
  });

  it('a malformed file is reported by update too, and left as it is', () => {
    writeFileSync(file, '{oops');
    expect(errorOf(() => store.update({ port: 9100 })).code).toBe('UDF_ERR_SETTINGS');
    expect(readFileSync(file, 'utf8')).toBe('{oops');
  });
});
