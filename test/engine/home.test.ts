import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { homePaths, secureHome } from '../../src-main/engine/home.js';
import { homeForEachTest } from '../helpers/test-home.js';

const home = homeForEachTest();

describe('the home folder', () => {
  it('#14: an existing home and its logs that others can read become owner-only; a new one is made so', () => {
    const paths = homePaths(home.env);
    home.write({ 'logs/engine.log': 'a line' });
    chmodSync(paths.root, 0o755);
    chmodSync(paths.logs, 0o755);
    secureHome(paths);
    expect(statSync(paths.root).mode & 0o777).toBe(0o700);
    expect(statSync(paths.logs).mode & 0o777).toBe(0o700);

    const fresh = homePaths(home.env, join(home.root, 'nested', 'new-home'));
    secureHome(fresh);
    expect(existsSync(fresh.logs)).toBe(true);
    expect(statSync(fresh.root).mode & 0o777).toBe(0o700);
  });
});
