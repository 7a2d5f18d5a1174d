/**
 * Window sessions: a one-time link (made from the engine's side, which holds the private token)
 * becomes an HttpOnly, SameSite=Strict cookie that authorises the app API for that browser.
 *
 * A cookie alone is not enough: browsers send SameSite cookies to every port of 127.0.0.1 (the same
 * "site"), so a cookie request must also come from this very origin (Sec-Fetch-Site, Origin).
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A link that is not opened within this is refused. */
export const LINK_TTL_MS = 10 * 60_000;
/** Sessions last as long as the engine runs, up to this. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60_000;
/** The path a one-time link opens; the ticket follows it. */
export const SESSION_PATH = '/session';
const SECRET_BYTES = 32;
const MAX_PENDING_LINKS = 100;

export class SessionStore {
  private readonly links = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

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

  /** Uses up a ticket; returns a new session id, or null for an unknown, used or expired ticket. */
  redeem(ticket: string, now = Date.now()): string | null {
    const expires = this.links.get(ticket);
    if (expires === undefined) return null;
    this.links.delete(ticket);
    if (expires <= now) return null;
    const session = randomBytes(SECRET_BYTES).toString('base64url');
    this.sessions.set(session, now + SESSION_TTL_MS);
    return session;
  }

  /** The Set-Cookie header value for a session. */
  cookie(session: string): string {
    return `${this.cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`;
  }

  /** Whether the request carries a live session cookie (origin checks are separate). */
  hasSession(req: IncomingMessage, now = Date.now()): boolean {
    const presented = readCookie(req.headers.cookie, this.cookieName);
    if (!presented) return false;
    for (const [session, expires] of this.sessions) {
      if (expires > now && sameSecret(session, presented)) return true;
    }
    return false;
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
