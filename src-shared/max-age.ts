/**
 * Cache ages as Fused writes them: whole seconds, or a number with s, m, h or d ("30s", "10m",
 * "24h", "7d").
 */

import { udfError } from './errors.js';

/** Fused's default result cache age: 90 days. */
export const DEFAULT_MAX_AGE_SECONDS = 90 * 24 * 3600;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses a cache age into seconds; a clear UDF_ERR_PARAM for anything else. */
export function parseMaxAge(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else {
    const match = /^(\d{1,12})([smhd]?)$/.exec(value.trim());
    if (match?.[1]) return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] as number);
  }
  throw udfError('UDF_ERR_PARAM', `cache_max_age must be whole seconds or a number with s, m, h or d (e.g. 10m), got "${String(value)}"`);
}
