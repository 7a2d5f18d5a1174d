import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { MAX_DEPTH, recursionDepth } from '../../../src-main/engine/server/recursion.js';
import { errorWith } from '../../helpers/matchers.js';

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
