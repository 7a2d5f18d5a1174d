import { describe, expect, it } from 'vitest';
import { fileToSign } from '../../../src-main/engine/files/signed-files.js';

const home = { bucket: '/home/ada/.udf-studio/fd', sharedDisk: '/home/ada/.udf-studio/mnt/cache' };

describe('/mnt/cache paths the engine maps', () => {
  it.each([
    '/mnt/cache/../../credentials',
    '/mnt/cache/..',
    '/mnt/cache/a/../../../url-signing-key',
  ])('#10: %s, which climbs out of the shared disk, is refused', (raw) => {
    expect(() => fileToSign(home, raw)).toThrow(expect.objectContaining({ code: 'UDF_ERR_BAD_REQUEST', message: expect.stringContaining('climbs out of the shared disk') as unknown }));
  });

  it('a path that stays on the shared disk is normalised', () => {
    expect(fileToSign(home, '/mnt/cache/a/./b/../c.json')).toEqual({ kind: 'local', path: `${home.sharedDisk}/a/c.json` });
    expect(fileToSign(home, '/mnt/cache/..x/c.json')).toEqual({ kind: 'local', path: `${home.sharedDisk}/..x/c.json` });
    expect(fileToSign(home, '/mnt/cache')).toEqual({ kind: 'local', path: home.sharedDisk });
  });
});
