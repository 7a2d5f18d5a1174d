/**
 * The latest error of a UDF's map tiles, by UDF name: the tile layer reports it, the editor shows
 * its line as a diagnostic. Cleared when every failed tile has painted again.
 */

import type { ErrorData } from '../../../src-shared/errors.js';

export const tileErrors = $state<Record<string, ErrorData | null>>({});

export function reportTileError(udf: string, error: ErrorData | null): void {
  if (error === null && !tileErrors[udf]) return;
  tileErrors[udf] = error;
}
