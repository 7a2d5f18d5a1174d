import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src-renderer/src/api/client.js';
import { showResult } from '../../src-renderer/src/lib/result.js';

function result(kind: string, contentType: string, body: string): RunResult {
  return { ok: true, kind, contentType, body: new Blob([body]), durationMs: 1, cache: 'miss', engine: 'local', stdout: '', stderr: '' };
}

describe('showing a run result', () => {
  it('shows an HTML or text result that came as a JSON string as the string itself', async () => {
    const page = '<!DOCTYPE html>\n<h1>Weather report</h1>\n';
    expect(await showResult(result('html', 'application/json', JSON.stringify(page)))).toEqual({ kind: 'html', html: page });
    expect(await showResult(result('html', 'text/html; charset=utf-8', page))).toEqual({ kind: 'html', html: page });
    expect(await showResult(result('text', 'application/json', JSON.stringify('line 1\nline 2')))).toEqual({ kind: 'text', text: 'line 1\nline 2' });
  });

  it('keeps a JSON body that is not a string, or not JSON at all, as it came', async () => {
    expect(await showResult(result('text', 'application/json', '{"a": 1}'))).toEqual({ kind: 'text', text: '{"a": 1}' });
    expect(await showResult(result('html', 'application/json', '"unterminated'))).toEqual({ kind: 'html', html: '"unterminated' });
  });
});
