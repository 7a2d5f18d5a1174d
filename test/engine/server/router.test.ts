import { describe, expect, it } from 'vitest';
import { Router } from '../../../src-main/engine/server/router.js';
import { UdfStudioError } from '../../../src-shared/errors.js';

const noop = (): void => {};

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    return error instanceof UdfStudioError ? error.data.code : undefined;
  }
  return undefined;
}

describe('router', () => {
  const router = new Router().add('GET', '/files/signed/:kind/*path', noop).add('GET', '/files/:name', noop);

  it('gives a last *param the rest of the path, decoded, one segment or more', () => {
    expect(router.match('GET', '/files/signed/fd/a/b%20c/d.txt').params).toEqual({ kind: 'fd', path: 'a/b c/d.txt' });
    expect(router.match('GET', '/files/signed/fd/one').params).toEqual({ kind: 'fd', path: 'one' });
    // An encoded slash stays inside its segment's text, for the route to check.
    expect(router.match('GET', '/files/signed/fd/a%2F..%2Fb').params.path).toBe('a/../b');
    expect(codeOf(() => router.match('GET', '/files/signed/fd'))).toBe('UDF_ERR_ROUTE');
  });

  it('answers 405 for another method and lists the rest as {name...}', () => {
    expect(codeOf(() => router.match('POST', '/files/signed/fd/a.txt'))).toBe('UDF_ERR_METHOD');
    expect(router.list()).toEqual(['GET /files/signed/{kind}/{path...}', 'GET /files/{name}']);
  });
});
