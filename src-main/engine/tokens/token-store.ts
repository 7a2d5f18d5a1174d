/**
 * Shared tokens (`fsh_...`): each lets anyone holding it run one UDF over HTTP.
 *
 * Lookups go by a SHA-256 hash of the token, compared in constant time (the runtime's `fused` reads
 * the same column when no engine runs). The full token is kept beside it so that listings can show
 * it, as Fused's do: the private token that manages tokens is itself kept in plain text in the home,
 * so this is no weaker. Tokens made before schema 4 have only their hash and show a prefix (`fsh_abcdef…`);
 * management calls find those by that prefix.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { udfError } from '../../../src-shared/errors.js';
import type { Db } from '../store/database.js';

export const SHARED_TOKEN_PREFIX = 'fsh_';
/** 24 random bytes: 192 bits, written as 32 base64url characters. */
const TOKEN_BYTES = 24;
/** Characters of a token an older listing shows (enough to tell tokens apart, useless to call with). */
const DISPLAY_PREFIX_LENGTH = SHARED_TOKEN_PREFIX.length + 6;
const TOKEN_PATTERN = /^fsh_[A-Za-z0-9_-]{20,128}$/;
const SHOWN_PREFIX_PATTERN = /^fsh_[A-Za-z0-9_-]{6,128}…?$/;

/** A token as the Fused API shapes it (`UdfAccessToken`); `token` is a prefix + `…` for tokens made before full tokens were kept. */
export interface SharedToken {
  token: string;
  udf_id: string | null;
  udf_slug: string;
  udf_email: string;
  client_id: string | null;
  enabled: boolean;
  public_read: boolean;
  access_scope: string;
  cache: boolean;
  metadata_json: Record<string, unknown>;
  created_at: string;
  last_updated: string;
}

/** What a token may be changed in; an absent field keeps its value. */
export interface TokenUpdate {
  enabled?: boolean;
  cache?: boolean;
  publicRead?: boolean;
  accessScope?: string;
  clientId?: string;
  metadata?: Record<string, unknown>;
}

export interface NewTokenFields extends TokenUpdate {
  udfSlug: string;
  udfId?: string | null;
  udfEmail?: string;
}

/** A page of the listing: `skip` tokens left out, at most `limit` (all when absent) given. */
export interface ListPage {
  skip?: number;
  limit?: number;
}

interface Row {
  token_hash: string;
  token_prefix: string;
  token: string | null;
  udf_slug: string;
  udf_id: string | null;
  udf_email: string;
  client_id: string | null;
  enabled: number;
  public_read: number;
  access_scope: string;
  cache: number;
  metadata_json: string;
  created_at: string;
  last_updated: string;
}

/** The owner of tokens made without one (`udf_email`), as older versions wrote it. */
export const LOCAL_OWNER = 'local';

/**
 * How long a looked-up token is trusted without asking SQLite again. Changes made through this
 * store apply at once; a change made by another process (the CLI while no engine runs) within this.
 */
export const TOKEN_RECHECK_MS = 1_000;
const RECENT_LIMIT = 10_000;
/** SQLite's LIMIT and OFFSET are 64-bit; anything past this many tokens is past the end anyway. */
const MAX_PAGE_BOUND = Number.MAX_SAFE_INTEGER;

export class TokenStore {
  // Prepared once, and recent answers kept: a shared-token run looks its token up on every request.
  private readonly byHash;
  private readonly recent = new Map<string, { token: SharedToken | null; at: number }>();

  constructor(private readonly db: Db) {
    this.byHash = db.prepare('SELECT * FROM shared_tokens WHERE token_hash = ?');
  }

  /** Creates a token for a UDF. */
  create(fields: NewTokenFields): SharedToken {
    const token = SHARED_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const now = new Date().toISOString();
    this.db.prepare(`INSERT INTO shared_tokens (token_hash, token_prefix, token, udf_slug, udf_id, udf_email, client_id, enabled, public_read, access_scope, cache, metadata_json, created_at, last_updated)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'run'), ?, ?, ?, ?)`).run(
      hashToken(token), token.slice(0, DISPLAY_PREFIX_LENGTH), token, fields.udfSlug, fields.udfId ?? null, fields.udfEmail ?? LOCAL_OWNER,
      fields.clientId ?? null, fields.enabled === false ? 0 : 1, fields.publicRead === true ? 1 : 0, fields.accessScope ?? null,
      fields.cache === false ? 0 : 1, JSON.stringify(fields.metadata ?? {}), now, now,
    );
    this.recent.delete(token);
    return toToken(this.rowOf(token) as Row);
  }

  /** The token's record for a run, or null when it is unknown (or not shaped like a token at all). */
  find(token: string): SharedToken | null {
    const now = Date.now();
    const known = this.recent.get(token);
    if (known && now - known.at < TOKEN_RECHECK_MS) return known.token;
    const row = this.rowOf(token);
    const found = row ? { ...toToken(row), token } : null;
    if (this.recent.size >= RECENT_LIMIT) this.recent.clear();
    this.recent.set(token, { token: found, at: now });
    return found;
  }

  /** Tokens newest first, a page of them when asked. */
  list(page: ListPage = {}): SharedToken[] {
    const limit = Math.min(page.limit ?? MAX_PAGE_BOUND, MAX_PAGE_BOUND);
    const skip = Math.min(page.skip ?? 0, MAX_PAGE_BOUND);
    const rows = this.db.prepare('SELECT * FROM shared_tokens ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?').all(limit, skip) as Row[];
    return rows.map(toToken);
  }

  /**
   * The token `given` names: the full token, or the start of one as a listing shows it (all that is
   * known of an older token). UDF_ERR_TOKEN_UNKNOWN when none matches, UDF_ERR_BAD_REQUEST when
   * several do.
   */
  get(given: string): SharedToken {
    return this.shown(this.uniqueRow(given), given);
  }

  /** Changes a token's settings (see {@link get} for what names it) and returns it. */
  update(given: string, changes: TokenUpdate): SharedToken {
    const row = this.uniqueRow(given);
    const next: Row = {
      ...row,
      enabled: changes.enabled === undefined ? row.enabled : Number(changes.enabled),
      cache: changes.cache === undefined ? row.cache : Number(changes.cache),
      public_read: changes.publicRead === undefined ? row.public_read : Number(changes.publicRead),
      access_scope: changes.accessScope ?? row.access_scope,
      client_id: changes.clientId ?? row.client_id,
      metadata_json: changes.metadata === undefined ? row.metadata_json : JSON.stringify(changes.metadata),
      last_updated: new Date().toISOString(),
    };
    this.db.prepare(`UPDATE shared_tokens SET enabled = ?, cache = ?, public_read = ?, access_scope = ?, client_id = ?, metadata_json = ?, last_updated = ?
                     WHERE token_hash = ?`).run(next.enabled, next.cache, next.public_read, next.access_scope, next.client_id, next.metadata_json, next.last_updated, row.token_hash);
    this.recent.clear();
    return this.shown(next, given);
  }

  /** Deletes a token (see {@link get} for what names it) and returns what it was. */
  delete(given: string): SharedToken {
    const row = this.uniqueRow(given);
    this.db.prepare('DELETE FROM shared_tokens WHERE token_hash = ?').run(row.token_hash);
    this.recent.clear();
    return this.shown(row, given);
  }

  /** A row as a token object; an older token given in full is answered in full. */
  private shown(row: Row, given: string): SharedToken {
    return row.token === null && hashToken(given) === row.token_hash ? { ...toToken(row), token: given } : toToken(row);
  }

  private uniqueRow(given: string): Row {
    const exact = this.rowOf(given);
    if (exact) return exact;
    if (!SHOWN_PREFIX_PATTERN.test(given)) throw udfError('UDF_ERR_TOKEN_UNKNOWN', 'no such shared token');
    const prefix = given.replace(/…$/, '');
    const rows = this.db.prepare(`SELECT * FROM shared_tokens
                                  WHERE (token IS NULL AND token_prefix = ?) OR (token IS NOT NULL AND substr(token, 1, ?) = ?)`)
      .all(prefix, prefix.length, prefix) as Row[];
    if (rows.length === 0) throw udfError('UDF_ERR_TOKEN_UNKNOWN', TOKEN_PATTERN.test(given) ? 'no such shared token' : `no shared token starts with ${prefix}`);
    if (rows.length > 1) throw udfError('UDF_ERR_BAD_REQUEST', `${rows.length} tokens start with ${prefix}; give the full token`);
    return rows[0] as Row;
  }

  private rowOf(token: string): Row | null {
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
    token: row.token ?? `${row.token_prefix}…`,
    udf_id: row.udf_id,
    udf_slug: row.udf_slug,
    udf_email: row.udf_email,
    client_id: row.client_id,
    enabled: row.enabled === 1,
    public_read: row.public_read === 1,
    access_scope: row.access_scope,
    cache: row.cache === 1,
    metadata_json: JSON.parse(row.metadata_json) as Record<string, unknown>,
    created_at: row.created_at,
    last_updated: row.last_updated,
  };
}
