import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resourcePaths } from '../../../src-main/engine/resources.js';
import { runtimePython } from '../../../src-main/engine/runtime/python-env.js';
import { readUdfFolder, type FolderEntry } from '../../../src-main/engine/workspace/udf-folder.js';
import { makeTestHome, RUNTIME_DIR, type TestHome } from '../../helpers/test-home.js';

// The engine's folder reader must read back, unchanged, what the runtime's Udf.to_directory() writes.
const examples = readdirSync(resourcePaths().exampleUdfs).sort();
let home: TestHome;

beforeAll(async () => {
  home = makeTestHome();
  const script = `
import sys, fused
for name in sys.argv[2:]:
    fused.load(f"{sys.argv[1]}/{name}").to_directory(f"${home.root.replace(/\\/g, '/')}/{name}")
`;
  await promisify(execFile)(runtimePython(RUNTIME_DIR), ['-c', script, resourcePaths().exampleUdfs, ...examples], {
    env: { ...home.env, PYTHONPATH: resourcePaths().runtime },
  });
}, 60_000);
afterAll(() => home.remove());

function comparable(entry: FolderEntry) {
  if (entry.kind !== 'udf') throw new Error(`${entry.dir} did not load: ${JSON.stringify(entry)}`);
  return {
    name: entry.name, udfType: entry.udfType, code: entry.source.code, entrypoint: entry.source.entrypoint,
    headers: entry.source.headers.map((h) => [h.moduleName, h.code]), metadata: entry.source.metadata, key: entry.source.key,
  };
}

describe('Udf.to_directory() round trip through the engine', () => {
  it.each(examples)('%s reads back unchanged', (name) => {
    expect(comparable(readUdfFolder(join(home.root, name)))).toEqual(comparable(readUdfFolder(join(resourcePaths().exampleUdfs, name))));
  });
});
