/**
 * What is wrong with a name typed for a new UDF, said under the field before the engine is asked:
 * the engine's own rule (src-shared) and the names the library already has.
 */

import { UDF_NAME_PATTERN } from '../../../src-shared/udf.js';

export function udfNameProblem(name: string, taken: readonly string[]): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Give the UDF a name.';
  if (!/^[A-Za-z]/.test(trimmed)) return 'Start with a letter.';
  if (trimmed.length > 100) return 'At most 100 characters.';
  if (!UDF_NAME_PATTERN.test(trimmed)) return 'Use only letters, digits, _ and - (no spaces).';
  if (taken.includes(trimmed)) return `${trimmed} already exists.`;
  return null;
}
