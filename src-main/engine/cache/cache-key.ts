/**
 * The result cache's key: everything that can change a run's bytes.
 */

import { createHash } from 'node:crypto';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import type { Tile } from '../../../src-shared/tiles.js';

export interface KeyParts {
  /** The UDF's code key (code, header modules, entry point). */
  codeKey: string;
  /** Changes when the runtime's packages or the runtime's own sources change. */
  runtimeFingerprint: string;
  params: Record<string, unknown>;
  tile: Tile | null;
  formats: readonly Format[];
  defaults: Record<ResultKind, Format>;
}

/** Memoised keys, looked up by a cheap string of the same parts (order-sensitive; a miss only costs a hash). */
const MEMO_LIMIT = 50_000;
const memo = new Map<string, string>();

/** The key for a run, memoised: the hot path of a cached tile computes it on every request. */
export function resultCacheKey(parts: KeyParts): string {
  const tile = parts.tile ? `${parts.tile.z}/${parts.tile.x}/${parts.tile.y}` : '-';
  const defaults = Object.entries(parts.defaults).map(([kind, format]) => `${kind}=${format}`).join(',');
  const quick = `${parts.codeKey}|${parts.runtimeFingerprint}|${JSON.stringify(parts.params)}|${tile}|${parts.formats.join(',')}|${defaults}`;
  const known = memo.get(quick);
  if (known !== undefined) return known;
  const key = hashKey(parts);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(quick, key);
  return key;
}

function hashKey(parts: KeyParts): string {
  const tile = parts.tile ? `${parts.tile.z}/${parts.tile.x}/${parts.tile.y}` : '-';
  return createHash('sha256')
    .update(parts.codeKey).update('\0')
    .update(parts.runtimeFingerprint).update('\0')
    .update(canonicalJson(parts.params)).update('\0')
    .update(tile).update('\0')
    .update(parts.formats.join(',')).update('\0')
    .update(canonicalJson(parts.defaults))
    .digest('hex');
}

/** JSON with object keys sorted, so equal parameters give equal keys whatever their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
