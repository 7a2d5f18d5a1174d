import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { seedWorkspace, Workspace } from '../../../src-main/engine/workspace/workspace.js';
import { writeUdfFromTemplate } from '../../../src-main/engine/workspace/udf-template.js';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import { homeForEachTest, metaJson } from '../../helpers/test-home.js';

const CODE = '@fused.udf\ndef udf():\n    return 1\n';
const home = homeForEachTest();
beforeEach(() => {
  home.write({
    'ws/Alpha/meta.json': metaJson('Alpha'), 'ws/Alpha/Alpha.py': CODE,
    'ws/Broken/meta.json': '{nope', 
    'ws/Group/collection.json': '{"name": "Group"}',
    'ws/Group/Beta/meta.json': metaJson('Beta'), 'ws/Group/Beta/Beta.py': CODE,
    'ws/not-a-udf/data.csv': 'a,b\n',
    'loose.py': CODE,
  });
});

function errorOf(fn: () => unknown): UdfStudioError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UdfStudioError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('workspace', () => {
  it('lists UDFs, collections and broken folders, and skips other folders', () => {
    const entries = new Workspace([join(home.root, 'ws')]).list();
    expect(entries.map((e) => [e.name, e.kind, e.collection])).toEqual([
      ['Alpha', 'udf', null], ['Broken', 'broken', null], ['Beta', 'udf', 'Group'],
    ]);
  });

  it('resolves names, team/name, folders and .py files', () => {
    const ws = new Workspace([join(home.root, 'ws')]);
    expect(ws.resolve('Beta').name).toBe('Beta');
    expect(ws.resolve('someone@example.com/Alpha').name).toBe('Alpha');
    expect(ws.resolve(join(home.root, 'ws', 'Alpha')).name).toBe('Alpha');
    expect(ws.resolve(join(home.root, 'loose.py')).source.path).toBe(join(home.root, 'loose.py'));
    // The code file of a folder runs as the folder, with its metadata.
    expect(ws.resolve(join(home.root, 'ws', 'Alpha', 'Alpha.py')).meta).not.toBeNull();
  });

  it('explains what went wrong for bad targets', () => {
    const ws = new Workspace([join(home.root, 'ws')]);
    expect(errorOf(() => ws.resolve('Alph')).message).toMatch(/no UDF named "Alph".*did you mean Alpha/);
    expect(errorOf(() => ws.resolve('Nothing')).message).toMatch(/known UDFs: Alpha/);
    expect(errorOf(() => ws.resolve('Broken')).code).toBe('UDF_ERR_BAD_FOLDER');
    expect(errorOf(() => ws.resolve('./missing-folder')).code).toBe('UDF_ERR_NOT_FOUND');
    expect(errorOf(() => ws.resolve(join(home.root, 'ws', 'not-a-udf', 'data.csv'))).code).toBe('UDF_ERR_USAGE');
    expect(errorOf(() => ws.resolve('  ')).code).toBe('UDF_ERR_USAGE');
  });

  it('finds a UDF within one collection folder, and says when the collection does not exist', () => {
    const ws = new Workspace([join(home.root, 'ws')]);
    const beta = ws.resolveInCollection('Beta', 'Group');
    expect([beta.name, beta.collection]).toEqual(['Beta', 'Group']);
    expect(ws.resolveName('Alpha').collection).toBeNull();
    expect(errorOf(() => ws.resolveInCollection('Alpha', 'Group')).message).toBe('no UDF named "Alpha" in the collection "Group"');
    expect(errorOf(() => ws.resolveInCollection('Beta', 'Nope')).message).toMatch(/no UDF named "Beta" because there is no collection "Nope"/);
    expect(ws.collectionDirs('Group')).toEqual([join(home.root, 'ws', 'Group')]);
    // A folder without collection.json is no collection, whatever it holds.
    expect(ws.collectionDirs('Alpha')).toEqual([]);
    for (const outside of ['..', '.', '', '../ws/Group', 'Group/', 'a\\..\\Group']) expect(ws.collectionDirs(outside), outside).toEqual([]);
  });

  it('seeds a new workspace with the examples once', () => {
    const target = join(home.root, 'seeded');
    expect(seedWorkspace(target, resourcePaths().exampleUdfs)).toBe(true);
    expect(new Workspace([target]).list().filter((e) => e.kind === 'udf').length).toBeGreaterThanOrEqual(6);
    expect(seedWorkspace(target, resourcePaths().exampleUdfs)).toBe(false);
  });

  it('writes a new UDF from a template, refusing bad names and existing folders', () => {
    const dir = writeUdfFromTemplate(join(home.root, 'ws'), 'Fresh_One');
    expect(existsSync(join(dir, 'Fresh_One.py'))).toBe(true);
    expect(new Workspace([join(home.root, 'ws')]).resolve('Fresh_One').source.entrypoint).toBe('udf');
    expect(errorOf(() => writeUdfFromTemplate(join(home.root, 'ws'), 'Fresh_One')).message).toMatch(/already exists/);
    for (const bad of ['../escape', '1abc', 'has space', '', 'a/b']) {
      expect(errorOf(() => writeUdfFromTemplate(join(home.root, 'ws'), bad)).code).toBe('UDF_ERR_USAGE');
    }
  });
});
