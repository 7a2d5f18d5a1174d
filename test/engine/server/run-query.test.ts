import { describe, expect, it } from 'vitest';
import { parseRunQuery } from '../../../src-main/engine/server/run-query.js';

describe('parseRunQuery', () => {
  it('#15: parameters named constructor, toString or __proto__ are parameters like any other', () => {
    const { params } = parseRunQuery(new URLSearchParams('constructor=a&toString=b&__proto__=c&hasOwnProperty=d&valueOf=e'));
    expect(Object.entries(params)).toEqual([['constructor', 'a'], ['toString', 'b'], ['__proto__', 'c'], ['hasOwnProperty', 'd'], ['valueOf', 'e']]);
    // Copied into a run's parameters, `__proto__` stays a parameter and sets no prototype.
    const run: Record<string, unknown> = { ...params };
    expect(Object.keys(run)).toContain('__proto__');
    expect(Object.getPrototypeOf(run)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(run))).toEqual({ constructor: 'a', toString: 'b', ['__proto__']: 'c', hasOwnProperty: 'd', valueOf: 'e' });
  });

  it('a name given twice is still refused, constructor and __proto__ included', () => {
    for (const name of ['n', 'constructor', '__proto__']) {
      expect(thrown(() => parseRunQuery(new URLSearchParams(`${name}=1&${name}=2`)))).toMatchObject({ code: 'UDF_ERR_PARAM', message: `parameter "${name}" is given more than once` });
    }
  });

  it('refuses names that are not Python identifiers and reads the reserved names itself', () => {
    expect(thrown(() => parseRunQuery(new URLSearchParams('1a=2')))).toMatchObject({ code: 'UDF_ERR_UNKNOWN_PARAM' });
    expect(parseRunQuery(new URLSearchParams('format=json&cache=false&x=1'))).toEqual({ params: { x: '1' }, formats: ['json'], cacheMaxAge: '0' });
  });
});

/** What `fn` throws; fails the test when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
