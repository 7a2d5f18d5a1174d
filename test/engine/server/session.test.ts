import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { LINK_TTL_MS, SessionStore, isSameOriginRequest } from '../../../src-main/engine/server/session.js';

const requestWith = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage);

describe('SessionStore', () => {
  it('a ticket gives one session, once, within its lifetime', () => {
    const store = new SessionStore(8765);
    const ticket = store.issueTicket(0);
    const session = store.redeem(ticket, 1);
    expect(session).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(store.redeem(ticket, 2)).toBeNull();
    expect(store.redeem(store.issueTicket(0), LINK_TTL_MS + 1)).toBeNull();
    expect(store.redeem('', 0)).toBeNull();
  });

  it('recognises its own cookie only, by name and value', () => {
    const store = new SessionStore(8765);
    const session = store.redeem(store.issueTicket()) as string;
    expect(store.cookie(session)).toMatch(/^udf_studio_session_8765=.+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(store.hasSession(requestWith({ cookie: `other=1; udf_studio_session_8765=${session}` }))).toBe(true);
    expect(store.hasSession(requestWith({ cookie: `udf_studio_session_9999=${session}` }))).toBe(false);
    expect(store.hasSession(requestWith({ cookie: 'udf_studio_session_8765=guess' }))).toBe(false);
    expect(store.hasSession(requestWith({ cookie: 'udf_studio_session_8765' }))).toBe(false);
    expect(store.hasSession(requestWith({}))).toBe(false);
  });
});

describe('isSameOriginRequest', () => {
  it('accepts the window origin and typed-in navigations, refuses other sites and ports', () => {
    const host = '127.0.0.1:8765';
    expect(isSameOriginRequest(requestWith({ host, 'sec-fetch-site': 'same-origin', origin: `http://${host}` }))).toBe(true);
    expect(isSameOriginRequest(requestWith({ host, 'sec-fetch-site': 'none' }))).toBe(true);
    expect(isSameOriginRequest(requestWith({ host }))).toBe(true);
    expect(isSameOriginRequest(requestWith({ host, 'sec-fetch-site': 'same-site' }))).toBe(false);
    expect(isSameOriginRequest(requestWith({ host, 'sec-fetch-site': 'cross-site' }))).toBe(false);
    expect(isSameOriginRequest(requestWith({ host, origin: 'http://127.0.0.1:3000' }))).toBe(false);
    expect(isSameOriginRequest(requestWith({ host, origin: 'null' }))).toBe(false);
  });
});
