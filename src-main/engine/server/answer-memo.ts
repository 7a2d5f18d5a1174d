/**
 * Answers repeated shared-token GETs from the result cache without routing them again.
 *
 * A map client asks for the same tile URLs again and again; past the first hit, everything the
 * normal path works out from the URL (route, token, UDF, parameters, cache key, headers) is the
 * same. The memo keeps that per raw URL and, on each request, checks only what can change it: the
 * token (still there, enabled, for the same UDF), the workspace (no UDF changed since), the remote
 * binding (none), the engine (not restarted) and the cache entry itself (still there, still fresh
 * for this call, the same bytes). Anything else goes the normal way.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import type { ServerServices } from './services.js';

/** Entries kept; past it the memo starts again (URLs are cheap to learn again). */
const ENTRY_LIMIT = 20_000;
/** Bytes of compressed bodies kept (only they are the memo's own copies). */
const BYTE_LIMIT = 64 * 1024 * 1024;

/** A hit answer as the normal path sent it, to be repeated. */
export interface HitAnswer {
  status: 200 | 204;
  /** Headers of every answer, a 304 included (flat name, value list). */
  headers: readonly string[];
  /** Headers of the body (content type, length, encoding). */
  bodyHeaders: readonly string[];
  /** The body sent: the cache entry's bytes, or their gzip. */
  body: Buffer;
  /** The ETag sent, if any. */
  etag: string | null;
}

/** What identifies the run behind a URL, to check that it is still the same. */
export interface AnswerSource {
  token: string;
  udfSlug: string;
  cacheKey: string;
  callMaxAge: number | null;
  /** The cache entry's digest the answer was made from. */
  sha256: string;
}

interface Entry extends HitAnswer, AnswerSource {
  /** The headers of its full answer (a 200's with its body's), put together once. */
  answerHeaders: string[];
  engine: Engine;
  generation: number;
  /** The body is the cache entry's own bytes (else a compressed copy counted in the byte limit). */
  shared: boolean;
}

export class AnswerMemo {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly services: ServerServices) {}

  /** Answers the request from the memo when it can; false when the normal path must. */
  serve(req: IncomingMessage, res: ServerResponse, rawUrl: string): boolean {
    if (req.headers['x-fused-cache-disable'] !== undefined) return false;
    const key = memoKey(req, rawUrl);
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (!this.stillValid(entry)) {
      this.forget(key, entry);
      return false;
    }
    if (entry.etag !== null && matchesEtag(req.headers['if-none-match'], entry.etag)) {
      res.writeHead(304, entry.headers as string[]);
      res.end();
      return true;
    }
    res.writeHead(entry.status, entry.answerHeaders);
    res.end(entry.status === 200 ? entry.body : undefined);
    return true;
  }

  /** Keeps a hit answer the normal path just sent for `req`. */
  remember(req: IncomingMessage, source: AnswerSource, answer: HitAnswer, bodyIsShared: boolean): void {
    const rawUrl = req.url;
    if (rawUrl === undefined || req.headers['x-fused-cache-disable'] !== undefined) return;
    const own = bodyIsShared ? 0 : answer.body.length;
    if (this.entries.size >= ENTRY_LIMIT || this.bytes + own > BYTE_LIMIT) this.clear();
    const key = memoKey(req, rawUrl);
    const previous = this.entries.get(key);
    if (previous) this.forget(key, previous);
    const { engine } = this.services;
    const answerHeaders = answer.status === 200 ? [...answer.headers, ...answer.bodyHeaders] : [...answer.headers];
    this.entries.set(key, { ...answer, ...source, answerHeaders, engine, generation: engine.workspace.generation, shared: bodyIsShared });
    this.bytes += own;
  }

  private stillValid(entry: Entry): boolean {
    // The services throw while the runtime is being set up again: the normal path says so.
    if (!this.services.runtime.ready) return false;
    const { engine, tokens, remotes } = this.services;
    if (entry.engine !== engine || entry.generation !== engine.workspace.generation) return false;
    const token = tokens.find(entry.token);
    if (!token?.enabled || !token.cache || token.udf_slug !== entry.udfSlug) return false;
    if (remotes.boundRemote(entry.udfSlug)) return false;
    return engine.cachedEntry(entry.cacheKey, entry.callMaxAge)?.sha256 === entry.sha256;
  }

  private forget(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (!entry.shared) this.bytes -= entry.body.length;
  }

  private clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** The raw URL, and whether the client takes gzip (the body differs). */
function memoKey(req: IncomingMessage, rawUrl: string): string {
  return acceptsGzip(req) ? `gzip ${rawUrl}` : rawUrl;
}

export function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  return typeof accept === 'string' && /\bgzip\b/.test(accept);
}

export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
