import { describe, expect, it } from 'vitest';
import { udfNameProblem } from '../../src-renderer/src/lib/udf-name.js';

describe('udfNameProblem', () => {
  it('accepts a usable new name', () => {
    expect(udfNameProblem('My_UDF-2', ['Other'])).toBeNull();
    expect(udfNameProblem('  Padded  ', [])).toBeNull();
  });

  it('says what is wrong with a malformed name', () => {
    expect(udfNameProblem('', [])).toBe('Give the UDF a name.');
    expect(udfNameProblem('   ', [])).toBe('Give the UDF a name.');
    expect(udfNameProblem('2fast', [])).toBe('Start with a letter.');
    expect(udfNameProblem('_hidden', [])).toBe('Start with a letter.');
    expect(udfNameProblem('has space', [])).toBe('Use only letters, digits, _ and - (no spaces).');
    expect(udfNameProblem('dot.py', [])).toBe('Use only letters, digits, _ and - (no spaces).');
    expect(udfNameProblem(`A${'b'.repeat(100)}`, [])).toBe('At most 100 characters.');
  });

  it('refuses a name the library already has', () => {
    expect(udfNameProblem('Hello_World', ['Hello_World'])).toBe('Hello_World already exists.');
  });
});
