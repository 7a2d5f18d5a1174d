import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { LINK_TTL_MS, SessionStore, isSameOriginRequest, type NewSession } from '../../../src-main/engine/server/session.js';
import { SESSION_KEY } from '../../../src-shared/app-api.js';

const requestWith = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage);

describe('SessionStore', () => {
  it('a ticket gives one session, once, within its lifetime', () => {
    const store = new SessionStore(8765);
    const ticket = store.issueTicket(0);
    const redeemed = store.redeem(ticket, 1);
    expect(redeemed?.session).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(redeemed?.key).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(redeemed?.key).not.toBe(redeemed?.session);
    expect(store.redeem(ticket, 2)).toBeNull();
    expect(store.redeem(store.issueTicket(0), LINK_TTL_MS + 1)).toBeNull();
    expect(store.redeem('', 0)).toBeNull();
  });

  it('recognises its own cookie only, by name and value', () => {
    const store = new SessionStore(8765);
    const { session } = store.redeem(store.issueTicket()) as NewSession;
    expect(store.cookie(session)).toMatch(/^udf_studio_session_8765=.+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(store.hasSession(requestWith({ cookie: `other=1; udf_studio_session_8765=${session}` }))).toBe(true);
    expect(store.hasSession(requestWith({ cookie: `udf_studio_session_9999=${session}` }))).toBe(false);
    expect(store.hasSession(requestWith({ cookie: 'udf_studio_session_8765=guess' }))).toBe(false);
    expect(store.hasSession(requestWith({ cookie: 'udf_studio_session_8765' }))).toBe(false);
    expect(store.hasSession(requestWith({}))).toBe(false);
  });
});

describe('the session key', () => {
  it('#4: a replayed session cookie is not a window session without the key only the window holds', () => {
    const store = new SessionStore(8765);
    const { session, key } = store.redeem(store.issueTicket()) as NewSession;
    const other = store.redeem(store.issueTicket()) as NewSession;
    const cookie = `udf_studio_session_8765=${session}`;
    expect(store.landing(key)).toBe(`/#${SESSION_KEY.fragment}=${key}`);
    expect(store.hasWindowSession(requestWith({ cookie, [SESSION_KEY.header]: key }))).toBe(true);
    expect(store.hasWindowSession(requestWith({ cookie }), key)).toBe(true);
    // What another server on 127.0.0.1 receives is the cookie, and nothing else.
    expect(store.hasSession(requestWith({ cookie }))).toBe(true);
    expect(store.hasWindowSession(requestWith({ cookie }))).toBe(false);
    expect(store.hasWindowSession(requestWith({ cookie, [SESSION_KEY.header]: '' }))).toBe(false);
    expect(store.hasWindowSession(requestWith({ cookie, [SESSION_KEY.header]: session }))).toBe(false);
    // Each session has its own key; a key without its cookie is nothing either.
    expect(store.hasWindowSession(requestWith({ cookie, [SESSION_KEY.header]: other.key }))).toBe(false);
    expect(store.hasWindowSession(requestWith({ [SESSION_KEY.header]: key }))).toBe(false);
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
