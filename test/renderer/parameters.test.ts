import { describe, expect, it } from 'vitest';
import type { UdfDetail } from '../../src-shared/app-api.js';
import { fieldsOf, followDefaults, paramsOf, problemOf } from '../../src-renderer/src/lib/parameters.js';

function detailWith(parameters: Array<{ name: string; annotation: string | null; default: unknown; required?: boolean }>, presets: UdfDetail['defaultParameters'] = [], tileParam: string | null = null): UdfDetail {
  return {
    description: { entrypoint: 'udf', takesKwargs: false, tileParam, cacheMaxAge: null, parameters: parameters.map((p) => ({ required: false, ...p })) },
    defaultParameters: presets,
  } as unknown as UdfDetail;
}

describe('the parameter form', () => {
  it('builds typed fields from the signature, presets and suggestions, leaving out the tile', () => {
    const fields = fieldsOf(detailWith([
      { name: 'bounds', annotation: 'fused.types.Bounds', default: null },
      { name: 'n', annotation: 'int', default: 3 },
      { name: 'tags', annotation: 'list', default: ['a'] },
      { name: 'limit', annotation: 'int | None', default: null },
      { name: 'on', annotation: 'bool', default: true },
    ], [{ parameter: 'n', value: 5, type: 'int', suggestedValues: [1, 10] }], 'bounds'));
    expect(fields.map((f) => [f.name, f.kind, f.initial, f.optional])).toEqual([
      ['n', 'int', '5', false], ['tags', 'json', '["a"]', false], ['limit', 'int', '', true], ['on', 'bool', 'true', false],
    ]);
    expect(fields[0]?.suggestions).toEqual(['1', '10']);
  });

  it('flags values that would not convert, and required ones left empty', () => {
    const [int, json, required] = fieldsOf(detailWith([
      { name: 'n', annotation: 'int', default: 1 },
      { name: 'd', annotation: 'dict', default: {} },
      { name: 'name', annotation: 'str', default: null, required: true },
    ]));
    expect(problemOf(int!, '2.5')).toBe('must be a whole number');
    expect(problemOf(int!, ' -4 ')).toBeNull();
    expect(problemOf(json!, '{"a": 1')).toMatch(/must be JSON/);
    expect(problemOf(json!, '{"a": 1}')).toBeNull();
    expect(problemOf(required!, '')).toBe('required');
    expect(paramsOf([int!, json!, required!], { n: '4', d: '', name: 'Ada' })).toEqual({ n: '4', name: 'Ada' });
  });

  it('follows a changed default for a value left alone, and keeps an edited one', () => {
    const before = fieldsOf(detailWith([{ name: 'a', annotation: 'int', default: 1 }, { name: 'b', annotation: 'str', default: 'x' }]));
    const after = fieldsOf(detailWith([
      { name: 'a', annotation: 'int', default: 2 }, { name: 'b', annotation: 'str', default: 'y' }, { name: 'c', annotation: 'float', default: 0.5 },
    ]));
    expect(followDefaults(before, after, { a: '1', b: 'edited' })).toEqual({ a: '2', b: 'edited', c: '0.5' });
    // A parameter whose type changed starts again from its default; a removed one goes.
    const retyped = fieldsOf(detailWith([{ name: 'b', annotation: 'int', default: 7 }]));
    expect(followDefaults(before, retyped, { a: '1', b: 'edited' })).toEqual({ b: '7' });
  });
});
