import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { defaultEntrypoint, readUdfFolder, type FolderEntry } from '../../../src-main/engine/workspace/udf-folder.js';
import { homeForEachTest, metaJson } from '../../helpers/test-home.js';

const CODE = '@fused.udf\ndef udf(name: str = "x"):\n    return name\n';

const home = homeForEachTest();

function udfOf(entry: FolderEntry) {
  if (entry.kind !== 'udf') throw new Error(`expected a UDF, got ${entry.kind}: ${JSON.stringify(entry)}`);
  return entry;
}

describe('reading a UDF folder', () => {
  it('reads source, headers, README and metadata, keeping unknown keys', () => {
    const dir = join(home.root, 'My_UDF');
    home.write({
      'My_UDF/meta.json': metaJson('My_UDF', {
        headers: [{ module_name: 'utils', source_file: 'utils.py' }],
        metadata: { 'fused:udfType': 'vector_tile', 'fused:description': 'hi', 'x-custom': { keep: true } },
      }, { unknownTopLevel: 1 }),
      'My_UDF/My_UDF.py': CODE,
      'My_UDF/utils.py': 'def f():\n    return 1\n',
      'My_UDF/README.MD': '# My UDF',
    });
    const udf = udfOf(readUdfFolder(dir));
    expect(udf.name).toBe('My_UDF');
    expect(udf.udfType).toBe('vector_tile');
    expect(udf.readme).toBe('# My UDF');
    expect(udf.description).toBe('hi');
    expect(udf.source.code).toBe(CODE);
    expect(udf.source.path).toBe(join(dir, 'My_UDF.py'));
    expect(udf.source.headers).toEqual([{ moduleName: 'utils', path: join(dir, 'utils.py'), code: 'def f():\n    return 1\n' }]);
    expect(udf.source.metadata['x-custom']).toEqual({ keep: true });
    expect(udf.meta?.unknownTopLevel).toBe(1);
  });

  it('reads inline code, the older udf_<name>.py name, and a folder with only code', () => {
    home.write({
      'Inline/meta.json': metaJson('Inline', { source: undefined, code: CODE }),
      'Old/meta.json': metaJson('Old', { source: undefined }),
      'Old/udf_Old.py': CODE,
      'Bare/Bare.py': CODE,
    });
    for (const name of ['Inline', 'Old', 'Bare']) expect(udfOf(readUdfFolder(join(home.root, name))).source.code).toBe(CODE);
    expect(udfOf(readUdfFolder(join(home.root, 'Inline'))).source.path).toBeNull();
  });

  it('changes the key when the code, a header or the entry point changes, and only then', () => {
    home.write({ 'A/meta.json': metaJson('A', { headers: [{ module_name: 'utils', source_file: 'utils.py' }] }), 'A/A.py': CODE, 'A/utils.py': 'x = 1\n' });
    const dir = join(home.root, 'A');
    const first = udfOf(readUdfFolder(dir)).source.key;
    expect(udfOf(readUdfFolder(dir)).source.key).toBe(first);
    home.write({ 'A/utils.py': 'x = 2\n' });
    const second = udfOf(readUdfFolder(dir)).source.key;
    expect(second).not.toBe(first);
    home.write({ 'A/A.py': `${CODE}\n` });
    expect(udfOf(readUdfFolder(dir)).source.key).not.toBe(second);
  });

  it('lists a node template instead of running it', () => {
    home.write({ 'Note/meta.json': metaJson('Note', { source: undefined, code: '', metadata: { isNodeTemplate: true } }) });
    expect(readUdfFolder(join(home.root, 'Note')).kind).toBe('node-template');
  });

  it.each([
    ['bad JSON, with its line', { 'B/meta.json': '{\n  "version": "0.0.3",\n  oops\n}' }, /invalid JSON/, 3],
    ['a missing source file', { 'B/meta.json': metaJson('B', { source: 'Missing.py' }) }, /"Missing.py", which does not exist/, undefined],
    ['no udf step', { 'B/meta.json': '{"version": "0.0.3"}' }, /no job_config.steps\[0\].udf/, undefined],
    ['a JSON array', { 'B/meta.json': '[]' }, /must hold a JSON object/, undefined],
    ['a source outside the folder', { 'B/meta.json': metaJson('B', { source: '../../etc/passwd' }) }, /outside the UDF folder/, undefined],
    ['a header without a module name', { 'B/meta.json': metaJson('B', { headers: [{ source_file: 'u.py' }] }), 'B/B.py': CODE }, /module_name/, undefined],
    ['a header file that is missing', { 'B/meta.json': metaJson('B', { headers: [{ module_name: 'u', source_file: 'u.py' }] }), 'B/B.py': CODE }, /u.py, which does not exist/, undefined],
    ['headers that are not a list', { 'B/meta.json': metaJson('B', { headers: 'utils' }), 'B/B.py': CODE }, /must be a list/, undefined],
    ['neither meta.json nor code', { 'B/notes.txt': 'x' }, /neither meta.json nor B.py/, undefined],
  ])('reports %s with the file, never throwing', (_label, files, message, line) => {
    home.write(files);
    const entry = readUdfFolder(join(home.root, 'B'));
    expect(entry.kind).toBe('broken');
    if (entry.kind !== 'broken') return;
    expect(entry.error.code).toBe('UDF_ERR_BAD_FOLDER');
    expect(entry.error.message).toMatch(message);
    expect(entry.error.file).toBeTruthy();
    expect(entry.error.line).toBe(line);
  });
});

describe('the entry point nobody names', () => {
  it('is the first @fused.udf function, as the runtime picks it, else udf', () => {
    expect(defaultEntrypoint(CODE)).toBe('udf');
    expect(defaultEntrypoint('import fused\n\ndef helper():\n    pass\n\n@fused.udf\ndef greet(a: int = 1):\n    return a\n')).toBe('greet');
    expect(defaultEntrypoint('@fused.udf(\n    cache_max_age="1h",\n)\n@other\nasync def later():\n    pass\n')).toBe('later');
    expect(defaultEntrypoint('from fused import udf\n\n@udf\ndef plain():\n    pass\n')).toBe('plain');
    // Indented (nested) definitions and look-alike decorators are not entry points.
    expect(defaultEntrypoint('class A:\n    @fused.udf\n    def inner(self):\n        pass\n')).toBe('udf');
    expect(defaultEntrypoint('@fused.udfx\ndef nope():\n    pass\n')).toBe('udf');
    expect(defaultEntrypoint('')).toBe('udf');
  });
});
