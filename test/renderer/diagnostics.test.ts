import { describe, expect, it } from 'vitest';
import { diagnosticsOf, errorFileOf } from '../../src-renderer/src/editor/line-diagnostics.js';

const FILES = ['My_UDF.py', 'utils.py'];

describe("the editor's diagnostics from worker errors", () => {
  it('puts an error in the file its path names, else in the code file', () => {
    expect(errorFileOf({ code: 'UDF_ERR_RUNTIME', message: 'x', file: '/home/me/udfs/My_UDF/utils.py', line: 3 }, FILES)).toBe('utils.py');
    expect(errorFileOf({ code: 'UDF_ERR_RUNTIME', message: 'x', file: 'C:\\udfs\\My_UDF\\utils.py', line: 3 }, FILES)).toBe('utils.py');
    expect(errorFileOf({ code: 'UDF_ERR_SYNTAX', message: 'x', file: '<udf>', line: 3 }, FILES)).toBe('My_UDF.py');
    expect(errorFileOf({ code: 'UDF_ERR_SYNTAX', message: 'x', line: 3 }, FILES)).toBe('My_UDF.py');
  });

  it('makes one diagnostic per error line of a file, saying where the error came from', () => {
    const errors = [
      { source: 'run' as const, error: { code: 'UDF_ERR_RUNTIME' as const, message: 'n must be zero or more', exceptionClass: 'ValueError', line: 8 } },
      { source: 'tile' as const, error: { code: 'UDF_ERR_RUNTIME' as const, message: 'n must be zero or more', exceptionClass: 'ValueError', line: 8 } },
      { source: 'tile' as const, error: { code: 'UDF_ERR_RUNTIME' as const, message: 'boom', exceptionClass: 'KeyError', file: 'utils.py', line: 2 } },
      { source: 'load' as const, error: { code: 'UDF_ERR_MISSING_PACKAGE' as const, message: 'no line' } },
    ];
    expect(diagnosticsOf('My_UDF.py', FILES, errors)).toEqual([
      { line: 8, message: 'ValueError: n must be zero or more\n(from the last run)', source: 'run' },
    ]);
    expect(diagnosticsOf('utils.py', FILES, errors)).toEqual([
      { line: 2, message: 'KeyError: boom\n(from a map tile)', source: 'tile' },
    ]);
    expect(diagnosticsOf('My_UDF.py', FILES, [])).toEqual([]);
  });
});
