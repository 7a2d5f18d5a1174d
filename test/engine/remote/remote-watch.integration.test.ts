/**
 * Following a remote's event stream, against a real HTTP server on loopback that plays the remote:
 * good events, malformed ones, refusals, and a stream that drops.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent } from '../../../src-shared/app-api.js';
import { EngineEvents } from '../../../src-main/engine/events/engine-events.js';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import { RemoteWatch } from '../../../src-main/engine/remote/remote-watch.js';

let dir: string;
let server: Server;
let url: string;
let store: RemoteStore;
let events: EngineEvents;
let watch: RemoteWatch;
let seen: AppEvent[];
let requests: IncomingMessage[];
let answer: (req: IncomingMessage, res: ServerResponse) => void;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'udf-studio-watch-'));
  requests = [];
  server = createServer((req, res) => {
    requests.push(req);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = new RemoteStore(join(dir, 'remotes.json'));
  store.add('R', url, 'token-one');
  events = new EngineEvents();
  seen = [];
  events.subscribe((event) => seen.push(event));
  watch = new RemoteWatch(store, events);
});

afterEach(async () => {
  vi.useRealTimers();
  watch.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Answers as a UDF Studio does: an event stream that starts with hello, then what `lines` say. */
function stream(lines: string[], end = false) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.write(`retry: 1000\n\ndata: ${JSON.stringify({ type: 'hello', at: 'now' })}\n\n`);
    for (const line of lines) res.write(line);
    if (end) res.end();
  };
}

const remoteEvents = () => seen.filter((event) => event.type === 'remote');

/**
 * The watch's timers become fake ones the test can count: a retry is a pending timer, so "not asked
 * again" is "no timer" once the watch has hung up, with no waiting for a retry that may not come.
 */
function countRetries(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
}

/** Resolves once the watch closes the connection `req` came on. */
function hungUp(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => req.socket.once('close', () => resolve()));
}

describe('following a remote', () => {
  it('turns its workspace events into remote-changed events, ignoring what it cannot read', async () => {
    answer = stream([
      ': ping\n\n',
      'data: {oops\n\n',
      'data: 5\n\n',
      'data: {"type": "workspace", "changed": "Echo"}\n\n',
      'data: {"type": "workspace", "changed": [{"name": 3}, null]}\n\n',
      'data: {"type": "job", "job": {}}\n\n',
      'data: {"type": "workspace", "changed": [{"name": "Echo", "key": "abc"}, {"name": "Gone", "key": null}]}\r\n\r\n',
    ]);
    expect(watch.follow('R')).toBe(false);
    await expect.poll(() => remoteEvents().length).toBe(3);
    expect(remoteEvents()).toEqual([
      { type: 'remote', udf: null, change: 'remote-changed', remote: 'R' },
      { type: 'remote', udf: 'Echo', change: 'remote-changed', remote: 'R' },
      { type: 'remote', udf: 'Gone', change: 'remote-changed', remote: 'R' },
    ]);
    expect(watch.follow('R')).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('/api/events');
    expect(requests[0]?.headers.authorization).toBe('Bearer token-one');
  });

  it('a remote without an event stream, or that refuses the token, is not live and not asked again', async () => {
    countRetries();
    // 503 (being set up) is the control: it is asked again, so its retry shows as a pending timer.
    for (const [status, type, retries] of [[404, 'application/json', 0], [401, 'application/json', 0], [200, 'text/html', 0], [503, 'application/json', 1]] as const) {
      const closed: Promise<void>[] = [];
      answer = (req, res) => {
        closed.push(hungUp(req));
        res.writeHead(status, { 'content-type': type });
        res.end('{}');
      };
      watch.close();
      watch = new RemoteWatch(store, events);
      requests = [];
      watch.follow('R');
      await expect.poll(() => requests.length).toBe(1);
      await closed[0];
      expect(vi.getTimerCount(), String(status)).toBe(retries);
      expect(requests, String(status)).toHaveLength(1);
      expect(watch.follow('R')).toBe(false);
    }
    expect(remoteEvents()).toEqual([]);
  });

  it('opens a dropped stream again, and says so; a remote being set up (503) is asked again too', async () => {
    let calls = 0;
    answer = (req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        stream([], calls === 2)(req, res);
      }
    };
    watch.follow('R');
    // 503, then a stream that ends at once, then one that stays: two hellos and a drop, three requests.
    await expect.poll(() => requests.length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => remoteEvents().length, { timeout: 5_000 }).toBe(3);
    expect(remoteEvents().every((event) => event.type === 'remote' && event.udf === null)).toBe(true);
    expect(watch.follow('R')).toBe(true);
  });

  it('drops a stream that sends an endless line rather than holding it', async () => {
    answer = (req, res) => {
      if (requests.length === 1) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${'x'.repeat(1_100_000)}`);
      } else {
        stream([])(req, res);
      }
    };
    watch.follow('R');
    await expect.poll(() => requests.length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => watch.follow('R'), { timeout: 5_000 }).toBe(true);
  });

  it('starts over with a new token, and stops when the remote is dropped', async () => {
    countRetries();
    answer = stream([]);
    watch.follow('R');
    await expect.poll(() => watch.follow('R')).toBe(true);
    store.remove('R');
    store.add('R', url, 'token-two');
    expect(watch.follow('R')).toBe(false);
    await expect.poll(() => requests.length).toBe(2);
    expect(requests[1]?.headers.authorization).toBe('Bearer token-two');
    const closed = hungUp(requests[1] as IncomingMessage);
    seen = [];
    watch.drop('R');
    await closed;
    expect(vi.getTimerCount()).toBe(0);
    expect(requests).toHaveLength(2);
    expect(seen).toEqual([]);
  });
});
