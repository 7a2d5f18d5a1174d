/**
 * Live news of changes on a remote: when the remote is another UDF Studio, its event stream
 * (`GET /api/events`, with the remote's token) says when its workspace changed, and each change
 * goes out on this engine's bus as a `remote` event (`change: "remote-changed"`). So the window's
 * sync states follow edits made over there without polling.
 *
 * A remote without such a stream (a hosted API answers 404) or that refuses the token is not
 * watched: `follow` then says the remote is not live and the window offers to check again. A
 * stream that drops is opened again after a growing pause. Opening and losing the stream are news
 * too (`udf: null`): anything may have changed meanwhile, or the remote may be gone.
 */

import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AppEvent } from '../../../src-shared/app-api.js';
import type { EngineEvents } from '../events/engine-events.js';
import type { RemoteConfig, RemoteStore } from './remote-config.js';

/** The remote's event stream, on a UDF Studio server. */
export const REMOTE_EVENTS_PATH = '/api/events';
const CONNECT_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** A line longer than this is not one of our events; the stream is dropped rather than buffered. */
const MAX_LINE_CHARS = 1_000_000;

/** How a watched remote stands. */
type StreamState = 'connecting' | 'live' | 'waiting' | 'unsupported';

interface Stream {
  remote: RemoteConfig;
  state: StreamState;
  request: ClientRequest | null;
  retryMs: number;
  timer: NodeJS.Timeout | null;
}

export class RemoteWatch {
  private readonly streams = new Map<string, Stream>();
  private closed = false;

  constructor(private readonly store: RemoteStore, private readonly events: EngineEvents) {}

  /**
   * Follows the remote's changes from now on (once per remote; a changed URL or token starts
   * over). Returns whether they arrive live: false for a remote without an event stream, or until
   * the first connection is made.
   */
  follow(name: string): boolean {
    if (this.closed) return false;
    const remote = this.store.get(name);
    const known = this.streams.get(name);
    if (known && known.remote.url === remote.url && known.remote.token === remote.token) return known.state === 'live';
    if (known) this.stop(known);
    const stream: Stream = { remote, state: 'connecting', request: null, retryMs: FIRST_RETRY_MS, timer: null };
    this.streams.set(name, stream);
    this.connect(stream);
    return false;
  }

  /** Stops following a remote (it was removed). */
  drop(name: string): void {
    const stream = this.streams.get(name);
    if (stream) this.stop(stream);
    this.streams.delete(name);
  }

  close(): void {
    this.closed = true;
    for (const stream of this.streams.values()) this.stop(stream);
    this.streams.clear();
  }

  private connect(stream: Stream): void {
    const url = new URL(`${stream.remote.url}${REMOTE_EVENTS_PATH}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    stream.state = 'connecting';
    const request = send(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${stream.remote.token}`, accept: 'text/event-stream' },
      timeout: CONNECT_TIMEOUT_MS,
    });
    stream.request = request;
    request.on('response', (response) => this.listen(stream, request, response));
    request.on('timeout', () => request.destroy(new Error('no answer in time')));
    request.on('error', () => this.retry(stream, request));
    request.end();
  }

  private listen(stream: Stream, request: ClientRequest, response: IncomingMessage): void {
    const isStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (response.statusCode !== 200 || !isStream) {
      response.resume();
      // 503: the remote's runtime is being set up, try later. Anything else will not change by itself.
      if (response.statusCode === 503) this.retry(stream, request);
      else if (stream.request === request) {
        stream.state = 'unsupported';
        stream.request = null;
        request.destroy();
      }
      return;
    }
    // Connected: no more time limit, the stream is idle between events.
    request.setTimeout(0);
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line.startsWith('data:')) this.onData(stream, line.slice(5).trim());
      }
      if (buffer.length > MAX_LINE_CHARS) request.destroy();
    });
    response.on('end', () => this.retry(stream, request));
    response.on('error', () => this.retry(stream, request));
  }

  private onData(stream: Stream, data: string): void {
    let event: Partial<AppEvent> | null;
    try {
      event = JSON.parse(data) as Partial<AppEvent>;
    } catch {
      return;
    }
    const remote = stream.remote.name;
    if (event?.type === 'hello') {
      stream.state = 'live';
      stream.retryMs = FIRST_RETRY_MS;
      this.events.emit({ type: 'remote', udf: null, change: 'remote-changed', remote });
    } else if (event?.type === 'workspace' && Array.isArray(event.changed)) {
      for (const changed of event.changed) {
        if (typeof changed?.name === 'string') this.events.emit({ type: 'remote', udf: changed.name, change: 'remote-changed', remote });
      }
    }
  }

  /** The stream dropped or could not open: try again after a pause that grows to half a minute. */
  private retry(stream: Stream, request: ClientRequest): void {
    if (stream.request !== request || this.closed) return;
    stream.request = null;
    request.destroy();
    if (stream.state === 'live') this.events.emit({ type: 'remote', udf: null, change: 'remote-changed', remote: stream.remote.name });
    stream.state = 'waiting';
    stream.timer = setTimeout(() => {
      stream.timer = null;
      if (this.streams.get(stream.remote.name) === stream) this.connect(stream);
    }, stream.retryMs);
    stream.timer.unref();
    stream.retryMs = Math.min(stream.retryMs * 2, MAX_RETRY_MS);
  }

  private stop(stream: Stream): void {
    if (stream.timer) clearTimeout(stream.timer);
    stream.timer = null;
    const request = stream.request;
    stream.request = null;
    request?.destroy();
  }
}
