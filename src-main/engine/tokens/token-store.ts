/**
 * Shared tokens (`fsh_...`): each lets anyone holding it run one UDF over HTTP.
 *
 * Only a SHA-256 hash of a token is stored; the full token is shown once, when it is created.
 * Lookups go by hash, and the stored hash is compared with the presented one in constant time.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { udfError } from '../../../src-shared/errors.js';
import type { Db } from '../store/database.js';

export const SHARED_TOKEN_PREFIX = 'fsh_';
/** 24 random bytes: 192 bits, written as 32 base64url characters. */
const TOKEN_BYTES = 24;
/** Characters of a token shown in listings (enough to tell tokens apart, useless to call with). */
const DISPLAY_PREFIX_LENGTH = SHARED_TOKEN_PREFIX.length + 6;
const TOKEN_PATTERN = /^fsh_[A-Za-z0-9_-]{20,128}$/;

/** A token as the Fused API shapes it; `token` is the full value only when just created. */
export interface SharedToken {
  token: string;
  udf_id: string | null;
  udf_slug: string;
  udf_email: string;
  enabled: boolean;
  public_read: boolean;
  access_scope: string;
  cache: boolean;
  metadata_json: Record<string, unknown>;
  created_at: string;
  last_updated: string;
}

export interface NewTokenFields {
  udfSlug: string;
  udfId?: string | null;
  udfEmail?: string;
  enabled?: boolean;
  cache?: boolean;
  metadata?: Record<string, unknown>;
}

export interface TokenUpdate {
  enabled?: boolean;
  cache?: boolean;
  metadata?: Record<string, unknown>;
}

interface Row {
  token_hash: string;
  token_prefix: string;
  udf_slug: string;
  udf_id: string | null;
  udf_email: string;
  enabled: number;
  public_read: number;
  access_scope: string;
  cache: number;
  metadata_json: string;
  created_at: string;
  last_updated: string;
}

/** The local user's name in token objects (`udf_email`), as Fused puts an account's email there. */
export const LOCAL_OWNER = 'local';

/**
 * How long a looked-up token is trusted without asking SQLite again. Changes made through this
 * store apply at once; a change made by another process (the CLI while no engine runs) within this.
 */
export const TOKEN_RECHECK_MS = 1_000;
const RECENT_LIMIT = 10_000;

export class TokenStore {
  // Prepared once, and recent answers kept: a shared-token run looks its token up on every request.
  private readonly byHash;
  private readonly recent = new Map<string, { token: SharedToken | null; at: number }>();

  constructor(private readonly db: Db) {
    this.byHash = db.prepare('SELECT * FROM shared_tokens WHERE token_hash = ?');
  }

  /** Creates a token for a UDF and returns it in full (the only time it is shown). */
  create(fields: NewTokenFields): SharedToken {
    const token = SHARED_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const now = new Date().toISOString();
    this.db.prepare(`INSERT INTO shared_tokens (token_hash, token_prefix, udf_slug, udf_id, udf_email, enabled, cache, metadata_json, created_at, last_updated)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      hashToken(token), token.slice(0, DISPLAY_PREFIX_LENGTH), fields.udfSlug, fields.udfId ?? null, fields.udfEmail ?? LOCAL_OWNER,
      fields.enabled === false ? 0 : 1, fields.cache === false ? 0 : 1, JSON.stringify(fields.metadata ?? {}), now, now,
    );
    this.recent.delete(token);
    return { ...toToken(this.findRow(token) as Row), token };
  }

  /** The token's record, or null when it is unknown (or not shaped like a token at all). */
  find(token: string): SharedToken | null {
    const now = Date.now();
    const known = this.recent.get(token);
    if (known && now - known.at < TOKEN_RECHECK_MS) return known.token;
    const row = this.findRow(token);
    const found = row ? { ...toToken(row), token } : null;
    if (this.recent.size >= RECENT_LIMIT) this.recent.clear();
    this.recent.set(token, { token: found, at: now });
    return found;
  }

  /** Every token, newest first, with only the display prefix of each. */
  list(): SharedToken[] {
    return (this.db.prepare('SELECT * FROM shared_tokens ORDER BY created_at DESC, rowid DESC').all() as Row[]).map(toToken);
  }

  /** Changes a token's settings; null when it is unknown. */
  update(token: string, changes: TokenUpdate): SharedToken | null {
    const row = this.findRow(token);
    if (!row) return null;
    this.applyUpdate(row, changes);
    return this.find(token);
  }

  /** Changes the one token whose listing prefix is `prefix` (all the window knows of an older token). */
  updateByPrefix(prefix: string, changes: TokenUpdate): SharedToken {
    const row = this.uniqueRowByPrefix(prefix);
    this.applyUpdate(row, changes);
    return toToken(this.db.prepare('SELECT * FROM shared_tokens WHERE token_hash = ?').get(row.token_hash) as Row);
  }

  /** Deletes a token; false when it is unknown. */
  delete(token: string): boolean {
    const row = this.findRow(token);
    if (!row) return false;
    this.db.prepare('DELETE FROM shared_tokens WHERE token_hash = ?').run(row.token_hash);
    this.recent.clear();
    return true;
  }

  /**
   * Deletes the one token whose listing prefix is `prefix` (what `token list` shows), so a user can
   * revoke a token whose full value they no longer have. Ambiguous or unknown prefixes are errors.
   */
  deleteByPrefix(prefix: string): SharedToken {
    const row = this.uniqueRowByPrefix(prefix);
    this.db.prepare('DELETE FROM shared_tokens WHERE token_hash = ?').run(row.token_hash);
    this.recent.clear();
    return toToken(row);
  }

  private uniqueRowByPrefix(prefix: string): Row {
    const rows = this.db.prepare('SELECT * FROM shared_tokens WHERE token_prefix = ?').all(prefix.replace(/…$/, '')) as Row[];
    if (rows.length === 0) throw udfError('UDF_ERR_NOT_FOUND', `no shared token starts with ${prefix}`);
    if (rows.length > 1) throw udfError('UDF_ERR_USAGE', `${rows.length} tokens start with ${prefix}; give the full token`);
    return rows[0] as Row;
  }

  private applyUpdate(row: Row, changes: TokenUpdate): void {
    const next = {
      enabled: changes.enabled ?? row.enabled === 1,
      cache: changes.cache ?? row.cache === 1,
      metadata: changes.metadata ?? (JSON.parse(row.metadata_json) as Record<string, unknown>),
    };
    this.db.prepare('UPDATE shared_tokens SET enabled = ?, cache = ?, metadata_json = ?, last_updated = ? WHERE token_hash = ?')
      .run(next.enabled ? 1 : 0, next.cache ? 1 : 0, JSON.stringify(next.metadata), new Date().toISOString(), row.token_hash);
    this.recent.clear();
  }

  private findRow(token: string): Row | null {
    if (!TOKEN_PATTERN.test(token)) return null;
    const presented = hashToken(token);
    const row = this.byHash.get(presented) as Row | undefined;
    if (!row) return null;
    return timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(presented, 'hex')) ? row : null;
  }
}

/** Whether a string has the shape of a shared token (used to tell tokens from names in URLs). */
export function looksLikeSharedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toToken(row: Row): SharedToken {
  return {
    token: `${row.token_prefix}…`,
    udf_id: row.udf_id,
    udf_slug: row.udf_slug,
    udf_email: row.udf_email,
    enabled: row.enabled === 1,
    public_read: row.public_read === 1,
    access_scope: row.access_scope,
    cache: row.cache === 1,
    metadata_json: JSON.parse(row.metadata_json) as Record<string, unknown>,
    created_at: row.created_at,
    last_updated: row.last_updated,
  };
}
