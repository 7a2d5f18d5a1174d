import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, type WorkspaceEntry } from '../../../src-main/engine/workspace/workspace.js';
import { RECHECK_MS, WorkspaceWatcher } from '../../../src-main/engine/workspace/workspace-watcher.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

const CODE = '@fused.udf\ndef udf():\n    return 1\n';
let home: TestHome;
let watcher: WorkspaceWatcher;
/** The code of Alpha in the watcher's latest snapshot. */
let seenCode = '';

beforeEach(async () => {
  home = makeTestHome();
  home.write({ 'ws/Alpha/meta.json': metaJson('Alpha'), 'ws/Alpha/Alpha.py': CODE });
  watcher = new WorkspaceWatcher(new Workspace([join(home.root, 'ws')]));
  watcher.onChange((entries: WorkspaceEntry[]) => {
    const alpha = entries.find((entry) => entry.name === 'Alpha');
    seenCode = alpha?.kind === 'udf' ? alpha.source.code : '';
  });
  await watcher.start();
});
afterEach(async () => {
  await watcher.close();
  home.remove();
});

const alphaFile = () => join(home.root, 'ws', 'Alpha', 'Alpha.py');

describe('the workspace watcher', () => {
  // chokidar alone lost about one such write in ten: the edit never reached the snapshot.
  it('sees a write made at once after the file was replaced atomically', async () => {
    for (let round = 0; round < 20; round++) {
      const staged = `${alphaFile()}.tmp`;
      writeFileSync(staged, `${CODE}# replaced ${round}\n`);
      renameSync(staged, alphaFile());
      appendFileSync(alphaFile(), `# appended ${round}\n`);
      await expect.poll(() => seenCode, { timeout: 5_000, interval: 20 }).toContain(`# appended ${round}`);
    }
  });

  it('sees a write made at once after the whole folder was swapped (a pull)', async () => {
    const dir = join(home.root, 'ws', 'Alpha');
    for (let round = 0; round < 20; round++) {
      const staged = join(home.root, 'ws', `.Alpha.incoming-${round}`);
      const old = join(home.root, 'ws', `.Alpha.replaced-${round}`);
      cpSync(dir, staged, { recursive: true });
      writeFileSync(join(staged, 'Alpha.py'), `${CODE}# pulled ${round}\n`);
      renameSync(dir, old);
      renameSync(staged, dir);
      rmSync(old, { recursive: true });
      appendFileSync(alphaFile(), `# edited ${round}\n`);
      await expect.poll(() => seenCode, { timeout: 5_000, interval: 20 }).toContain(`# edited ${round}`);
    }
  });

  // Each refresh looks at its paths again later; an older look must not count a save that a newer
  // refresh has seen already, or saves in a row set off refresh after refresh (and as many events).
  it('refreshes once for each save of a file saved over and over', async () => {
    let refreshes = 0;
    watcher.onChange(() => refreshes++);
    for (let round = 0; round < 5; round++) {
      writeFileSync(alphaFile(), `${CODE}# save ${round}\n`);
      await expect.poll(() => seenCode, { timeout: 5_000, interval: 10 }).toContain(`# save ${round}`);
    }
    // Out past the last of the later looks every refresh takes.
    await new Promise((resolve) => setTimeout(resolve, (RECHECK_MS.at(-1) ?? 0) + 500));
    expect(refreshes).toBe(5);
  });
});
