/**
 * vitest's asymmetric matchers, typed as what they stand for. vitest types them `any`, so an object
 * literal holding one would be an unsafe `any` to ESLint's type-checked rules.
 */

import { expect } from 'vitest';

/** A string that matches `pattern`. */
export function textMatching(pattern: RegExp): string {
  return expect.stringMatching(pattern) as string;
}

/** A string that contains `text`. */
export function textContaining(text: string): string {
  return expect.stringContaining(text) as string;
}

/** A thrown error that carries these fields (a `code`, a `message` matcher, ...). */
export function errorWith(fields: Record<string, unknown>): Error {
  return expect.objectContaining(fields) as Error;
}
