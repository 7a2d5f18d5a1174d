/**
 * Window sessions: a one-time link (made from the engine's side, which holds the private token)
 * becomes an HttpOnly, SameSite=Strict cookie plus a session key that the link's redirect hands to
 * the page (in the URL fragment, see SESSION_KEY in app-api.ts).
 *
 * A cookie alone is not enough: browsers send cookies to every port of 127.0.0.1, so any other local
 * server the user visits receives it and can replay it from a plain client. The app API therefore
 * needs the key too, which only the window's own origin holds; a request that carries fetch metadata
 * must also come from this very origin (Sec-Fetch-Site, Origin). The cookie alone opens only the
 * window's static pages (which hold no secret) on a team server.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SESSION_KEY } from '../../../src-shared/app-api.js';

/** A link that is not opened within this is refused. */
export const LINK_TTL_MS = 10 * 60_000;
/** Sessions last as long as the engine runs, up to this. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60_000;
/** The path a one-time link opens; the ticket follows it. */
export const SESSION_PATH = '/session';
const SECRET_BYTES = 32;
const MAX_PENDING_LINKS = 100;

/** What a redeemed link gives: the cookie's value and the key the page keeps. */
export interface NewSession {
  session: string;
  key: string;
}

interface Session {
  expires: number;
  key: string;
}

export class SessionStore {
  private readonly links = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();

  /** The cookie name carries the port: cookies are shared between ports of one host. */
  constructor(private readonly port: number) {}

  get cookieName(): string {
    return `udf_studio_session_${this.port}`;
  }

  /** A new one-time ticket for a link; it works once, within {@link LINK_TTL_MS}. */
  issueTicket(now = Date.now()): string {
    for (const [ticket, expires] of this.links) if (expires <= now) this.links.delete(ticket);
    if (this.links.size >= MAX_PENDING_LINKS) this.links.delete(this.links.keys().next().value as string);
    const ticket = randomBytes(SECRET_BYTES).toString('base64url');
    this.links.set(ticket, now + LINK_TTL_MS);
    return ticket;
  }

  /** Uses up a ticket; returns a new session and its key, or null for an unknown, used or expired ticket. */
  redeem(ticket: string, now = Date.now()): NewSession | null {
    const expires = this.links.get(ticket);
    if (expires === undefined) return null;
    this.links.delete(ticket);
    if (expires <= now) return null;
    const session = randomBytes(SECRET_BYTES).toString('base64url');
    const key = randomBytes(SECRET_BYTES).toString('base64url');
    this.sessions.set(session, { expires: now + SESSION_TTL_MS, key });
    return { session, key };
  }

  /** Where the link's redirect sends the page: the window, with the key in the fragment. */
  landing(key: string): string {
    return `/#${SESSION_KEY.fragment}=${key}`;
  }

  /** The Set-Cookie header value for a session. */
  cookie(session: string): string {
    return `${this.cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`;
  }

  /** Whether the request carries a live session cookie (origin checks are separate). */
  hasSession(req: IncomingMessage, now = Date.now()): boolean {
    return this.sessionOf(req, now) !== null;
  }

  /**
   * Whether the request carries a live session cookie and that session's key (the header, or the
   * query value `keyFromQuery` where headers cannot be set); origin checks are separate.
   */
  hasWindowSession(req: IncomingMessage, keyFromQuery: string | null = null, now = Date.now()): boolean {
    const session = this.sessionOf(req, now);
    const header = req.headers[SESSION_KEY.header];
    const key = typeof header === 'string' ? header : keyFromQuery;
    return session !== null && key !== null && sameSecret(session.key, key);
  }

  private sessionOf(req: IncomingMessage, now: number): Session | null {
    const presented = readCookie(req.headers.cookie, this.cookieName);
    if (!presented) return null;
    for (const [id, session] of this.sessions) {
      if (session.expires > now && sameSecret(id, presented)) return session;
    }
    return null;
  }
}

/**
 * Whether a cookie-authorised request comes from the window itself: a browser's fetch metadata
 * says same-origin (or a typed-in navigation), and any Origin header is this server's.
 */
export function isSameOriginRequest(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
