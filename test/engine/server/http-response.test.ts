import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../../src-shared/udf.js';
import { fusedMetadata, METADATA_HEADER_LIMIT } from '../../../src-main/engine/server/http-response.js';
import { textMatching } from '../../helpers/matchers.js';

function success(stdout: string): RunOutcome {
  return { ok: true, format: 'json', contentType: 'application/json', kind: 'json', empty: false, cacheMaxAge: null, stdout, stderr: '', durationMs: 1, body: new Uint8Array(1) };
}

describe('x-fused-metadata', () => {
  it('carries short output as it is, ASCII only', () => {
    const header = fusedMetadata(success('héllo\n'));
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(header)).toMatchObject({ stdout: 'héllo\n', has_exception: false });
  });

  it('tells a run that printed nothing in full: empty texts, no exception', () => {
    expect(JSON.parse(fusedMetadata(success('')))).toEqual({
      stdout: '', stderr: '', has_exception: false, exception_class: null, errormsg: null, lineno: null, exception: null, error_type: null,
    });
  });

  // Regression: 5,000 printed non-ASCII characters made a 30 KB header, which the official client's
  // async reader (fused.run_async, udf.map) refuses past 12,000 bytes.
  it('stays under the header limit whatever the UDF printed, keeping the start of each text', () => {
    const failure: RunOutcome = {
      ok: false, stdout: 'é'.repeat(5_000), stderr: '✓\n'.repeat(5_000), durationMs: 1,
      error: { code: 'UDF_ERR_RUNTIME', exceptionClass: 'ValueError', message: 'ü'.repeat(5_000), line: 7 },
    };
    const header = fusedMetadata(failure);
    expect(header.length).toBeLessThanOrEqual(METADATA_HEADER_LIMIT);
    const metadata = JSON.parse(header) as Record<string, unknown>;
    expect(metadata.stdout).toMatch(/^é+… \(\d+ more characters\)$/);
    expect(metadata).toMatchObject({ has_exception: true, lineno: 7, exception_class: 'ValueError', errormsg: textMatching(/^ü+…/) });
  });
});

describe('x-fused-metadata in bytes', () => {
  // The limit held for stdout, stderr and the message, but the exception's class name was carried
  // whole: a UDF raising a class with a long non-ASCII name made a 30 KB header, over the 16 KB
  // Node's own HTTP client (the engine's remote client included) accepts.
  it('#12: counts the bytes of the final, escaped header value, every text clipped', () => {
    const failure: RunOutcome = {
      ok: false, stdout: '😀'.repeat(3_000), stderr: 'ß'.repeat(3_000), durationMs: 1,
      error: { code: 'UDF_ERR_RUNTIME', exceptionClass: 'Ошибка'.repeat(1_000), message: '€'.repeat(3_000), line: 3 },
    };
    const header = fusedMetadata(failure);
    expect(Buffer.byteLength(header)).toBeLessThanOrEqual(METADATA_HEADER_LIMIT);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    const metadata = JSON.parse(header) as Record<string, string>;
    expect(metadata.exception_class).toMatch(/^(Ошибка)+О?ш?и?б?к?… \(\d+ more characters\)$/);
    // A clip never leaves half an emoji behind.
    expect(metadata.stdout).toMatch(/^(😀)+… \(\d+ more characters\)$/);
  });
});
