import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { HOPS_HEADER, MAX_DEPTH } from '../../../src-shared/nesting.js';
import { proxyHops, recursionDepth } from '../../../src-main/engine/server/recursion.js';
import { isNested } from '../../../src-main/engine/runtime/worker-pool.js';
import { errorWith, textMatching } from '../../helpers/matchers.js';

const withHeader = (value?: string): IncomingMessage => ({ headers: value === undefined ? {} : { 'fused-recursion': value } }) as IncomingMessage;

describe('the Fused-Recursion header', () => {
  // Regression: the official client sends 1 from its top level; read as depth 1, every one of its
  // runs counted as nested and skipped the pool's queue.
  it('counts levels as Fused does: 1 is a top-level call', () => {
    expect(recursionDepth(withHeader())).toBe(0);
    expect(recursionDepth(withHeader('0'))).toBe(0);
    expect(recursionDepth(withHeader('1'))).toBe(0);
    expect(recursionDepth(withHeader('2'))).toBe(1);
    expect(recursionDepth(withHeader(String(MAX_DEPTH + 1)))).toBe(MAX_DEPTH);
  });

  it('refuses a call past the limit and a header that is not a number', () => {
    expect(() => recursionDepth(withHeader(String(MAX_DEPTH + 2)))).toThrow(errorWith({ code: 'UDF_ERR_RECURSION' }));
    expect(() => recursionDepth(withHeader('deep'))).toThrow(errorWith({ code: 'UDF_ERR_BAD_REQUEST' }));
    expect(() => recursionDepth(withHeader('1e3'))).toThrow(errorWith({ code: 'UDF_ERR_BAD_REQUEST' }));
  });
});

describe('the proxy hops header (#3)', () => {
  const hops = (value?: string): IncomingMessage => ({ headers: value === undefined ? {} : { [HOPS_HEADER]: value } }) as IncomingMessage;

  it('#3: says how many levels of the depth are engines that proxied a top-level request', () => {
    expect(proxyHops(hops(), 3)).toBe(0);
    expect(proxyHops(hops('1'), 1)).toBe(1);
    expect(proxyHops(hops(' 2 '), 4)).toBe(2);
    // A top-level request proxied once is not nested; a UDF's call anywhere before makes it so.
    expect(isNested({ depth: 1, hops: 1 })).toBe(false);
    expect(isNested({ depth: 2, hops: 1 })).toBe(true);
    expect(isNested({})).toBe(false);
  });

  it('#3: refuses a malformed value, or more hops than levels, with a clear 400', () => {
    for (const value of ['x', '-1', '1.5', '1000', '']) {
      expect(() => proxyHops(hops(value), 5)).toThrow(errorWith({ code: 'UDF_ERR_BAD_REQUEST' }));
    }
    expect(() => proxyHops(hops('2'), 1)).toThrow(errorWith({ code: 'UDF_ERR_BAD_REQUEST', message: textMatching(/no greater than the depth/) }));
  });
});
