import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash, parseUdfBody, udfBodyOf, writeUdfFolder } from '../../../src-main/engine/remote/udf-body.js';
import { classify } from '../../../src-main/engine/remote/udf-sync.js';
import { readUdfFolder, type UdfFolder } from '../../../src-main/engine/workspace/udf-folder.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;

afterEach(() => home?.remove());

function read(dir: string): UdfFolder {
  const entry = readUdfFolder(dir);
  if (entry.kind !== 'udf') throw new Error(`not a UDF: ${JSON.stringify(entry)}`);
  return entry;
}

describe('UDF bodies', () => {
  it('round-trips a folder through its body with the same content hash, keeping the id and unknown keys', () => {
    home = makeTestHome();
    const dir = home.write({
      'a/Geo/meta.json': metaJson('Geo', { headers: [{ module_name: 'utils', source_file: 'utils.py' }], customKey: { kept: true }, metadata: { 'fused:name': 'Geo', 'fused:udfType': 'vector_tile' } }),
      'a/Geo/Geo.py': '@fused.udf\ndef udf():\n    import utils\n    return utils.f()\n',
      'a/Geo/utils.py': 'def f():\n    return 1\n',
      'a/Geo/README.md': '# Geo\n',
    });
    const original = read(join(dir, '..'));
    const body = udfBodyOf(original);
    expect(body).toMatchObject({ name: 'Geo', customKey: { kept: true }, readme: '# Geo\n', headers: [{ module_name: 'utils' }] });
    const written = writeUdfFolder(join(home.root, 'b'), 'Geo', parseUdfBody(JSON.stringify(body), 'UDF_ERR_BAD_REQUEST'), 'id-123');
    const copy = read(written);
    expect(copy.source.metadata['fused:id']).toBe('id-123');
    expect(copy.source.code).toBe(original.source.code);
    expect(contentHash(udfBodyOf(copy))).toBe(contentHash(body));
  });

  it('replaces a folder whole, keeping files the body does not describe and leaving no staging folder', () => {
    home = makeTestHome();
    const dir = join(home.root, 'ws', 'Table');
    home.write({ 'ws/Table/meta.json': metaJson('Table'), 'ws/Table/Table.py': '@fused.udf\ndef udf():\n    return 1\n', 'ws/Table/data.csv': 'a,b\n1,2\n' });
    const body = { ...udfBodyOf(read(dir)), code: '@fused.udf\ndef udf():\n    return 2\n' };
    writeUdfFolder(join(home.root, 'ws'), 'Table', body, 'id-1', read(dir));
    expect(readFileSync(join(dir, 'Table.py'), 'utf8')).toContain('return 2');
    expect(readFileSync(join(dir, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(readdirSync(join(home.root, 'ws'))).toEqual(['Table']);
  });

  it('refuses bodies that would not make a valid folder, and writes nothing', () => {
    home = makeTestHome();
    const bad: Array<[unknown, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[1]', /must be a JSON object/],
      [{ name: '../evil', code: 'x' }, /udf_body.name must be a UDF name/],
      [{ name: 'A', code: '' }, /code must be the UDF's Python source/],
      [{ name: 'A', code: 'x', headers: {} }, /headers must be a list/],
      [{ name: 'A', code: 'x', headers: [{ module_name: 'os.path', source_code: '' }] }, /module_name/],
      [{ name: 'A', code: 'x', headers: [{ module_name: 'u', source_code: '' }, { module_name: 'u', source_code: '' }] }, /names a module twice/],
      [{ name: 'A', code: 'x', metadata: [] }, /metadata must be an object/],
      [{ name: 'A', code: 'x', readme: 5 }, /readme must be text/],
    ];
    for (const [raw, message] of bad) expect(() => parseUdfBody(raw, 'UDF_ERR_BAD_REQUEST'), String(raw)).toThrow(message);
    expect(existsSync(join(home.root, 'A'))).toBe(false);
  });

  it('classifies a UDF from both hashes and the last sync', () => {
    const record = { local_hash: 'L', remote_hash: 'R' };
    expect(classify('L2', 'R', record)).toBe('local-changes');
    expect(classify('L', 'R2', record)).toBe('remote-changes');
    expect(classify('L2', 'R2', record)).toBe('conflict');
    expect(classify('S', 'S', record)).toBe('synced');
    expect(classify('A', 'B', null)).toBe('conflict');
    expect(classify('A', null, null)).toBe('local-only');
    expect(classify(null, 'B', null)).toBe('remote-only');
  });
});
