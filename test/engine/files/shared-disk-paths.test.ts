import { describe, expect, it } from 'vitest';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { fileToSign } from '../../../src-main/engine/files/signed-files.js';

const home = { bucket: '/home/ada/.udf-studio/fd', sharedDisk: '/home/ada/.udf-studio/mnt/cache' };

describe('/mnt/cache paths the engine maps', () => {
  it.each([
    '/mnt/cache/../../credentials',
    '/mnt/cache/..',
    '/mnt/cache/a/../../../url-signing-key',
  ])('#10: %s, which climbs out of the shared disk, is refused', (raw) => {
    let thrown: unknown = null;
    try {
      fileToSign(home, raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UdfStudioError);
    expect((thrown as UdfStudioError).code).toBe('UDF_ERR_BAD_REQUEST');
    expect((thrown as UdfStudioError).message).toContain('climbs out of the shared disk');
  });

  it('a path that stays on the shared disk is normalised', () => {
    expect(fileToSign(home, '/mnt/cache/a/./b/../c.json')).toEqual({ kind: 'local', path: `${home.sharedDisk}/a/c.json` });
    expect(fileToSign(home, '/mnt/cache/..x/c.json')).toEqual({ kind: 'local', path: `${home.sharedDisk}/..x/c.json` });
    expect(fileToSign(home, '/mnt/cache')).toEqual({ kind: 'local', path: home.sharedDisk });
  });
});
