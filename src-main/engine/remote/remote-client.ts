/**
 * HTTP calls to a remote engine, with time limits and one clear error for each way they fail:
 * no connection, no answer in time, the token refused (401/403), the remote failing (5xx), an
 * answer that is not what the API promises. The remote's own errors (a UDF that raised, an unknown
 * UDF) come back with their code and message, marked as the remote's.
 */

import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { UdfStudioError, isErrorCode, udfError, type ErrorData } from '../../../src-shared/errors.js';
import type { RemoteConfig } from './remote-config.js';

/** Time to open a connection before the remote counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Time a run may take: the remote's own 120 s limit plus queueing and transfer. */
export const RUN_TIMEOUT_MS = 150_000;
/** Time for storage and management calls. */
export const API_TIMEOUT_MS = 30_000;
/** Largest answer read from a remote. */
export const MAX_ANSWER_BYTES = 512 * 1024 * 1024;

/** Connections to remotes are kept open between requests (a proxied tile costs one round trip, not a handshake too). */
const KEEP_ALIVE = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface RemoteRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, appended to the remote's base URL. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Ends the exchange (closing the connection, which a UDF Studio remote takes as a cancel). */
  signal?: AbortSignal;
}

export interface RemoteAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One remote engine's HTTP client. */
export class RemoteClient {
  constructor(readonly remote: RemoteConfig) {}

  get name(): string {
    return this.remote.name;
  }

  /**
   * Sends a request and returns any 2xx or 304 answer; every other status becomes an error
   * (see {@link answerError}). Network failures and timeouts are errors too.
   */
  async send(request: RemoteRequest): Promise<RemoteAnswer> {
    const answer = await this.request(request);
    if ((answer.status >= 200 && answer.status < 300) || answer.status === 304) return answer;
    throw answerError(this.remote, answer);
  }

  /** Sends a request and parses a JSON object answer; anything else is UDF_ERR_REMOTE_BAD_ANSWER. */
  async json(request: RemoteRequest): Promise<Record<string, unknown>> {
    const answer = await this.send(request);
    const value = parseJson(answer.body);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${this.remote.name}" answered ${request.method} ${pathOnly(request.path)} with something that is not a JSON object`);
    }
    return value as Record<string, unknown>;
  }

  /** Sends a request and returns whatever status it answers; only network failures and timeouts throw. */
  request(request: RemoteRequest): Promise<RemoteAnswer> {
    return this.exchange(request, true);
  }

  /**
   * One exchange. A kept-alive connection the remote closed just as it was reused fails before any
   * answer; a GET (safe to repeat) is then sent once more on a fresh connection.
   */
  private exchange(request: RemoteRequest, mayRetry: boolean): Promise<RemoteAnswer> {
    const { remote } = this;
    const url = new URL(`${remote.url}${request.path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const payload = request.body === undefined ? null : Buffer.from(JSON.stringify(request.body));
    const timeoutMs = request.timeoutMs ?? API_TIMEOUT_MS;
    const where = `remote "${remote.name}" (${remote.url})`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: UdfStudioError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(answerTimer);
        req.destroy();
        reject(error);
      };
      const req = send(url, {
        method: request.method,
        headers: {
          authorization: `Bearer ${remote.token}`,
          accept: '*/*',
          'accept-encoding': 'identity',
          // The official client sends it with every request: no HTTP cache between it and the API.
          'x-fused-cache-disable': 'true',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...request.headers,
        },
        agent: url.protocol === 'https:' ? KEEP_ALIVE.https : KEEP_ALIVE.http,
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail(udfError('UDF_ERR_REMOTE_BAD_ANSWER', `${where} sent more than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) {
            fail(udfError('UDF_ERR_REMOTE_UNREACHABLE', `${where} closed the connection before the answer was complete`));
            return;
          }
          settled = true;
          clearTimeout(connectTimer);
          clearTimeout(answerTimer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('aborted', () => fail(udfError('UDF_ERR_REMOTE_UNREACHABLE', `${where} closed the connection during the answer (it may have stopped)`)));
        res.on('error', (error) => fail(networkError(where, error)));
      });
      const { signal } = request;
      if (signal) {
        const cancel = (): void => fail(udfError('UDF_ERR_CANCELLED', 'the run was cancelled: its client went away'));
        if (signal.aborted) queueMicrotask(cancel);
        else signal.addEventListener('abort', cancel, { once: true });
        req.once('close', () => signal.removeEventListener('abort', cancel));
      }
      const connectTimer = setTimeout(() => fail(udfError('UDF_ERR_REMOTE_TIMEOUT', `${where} did not accept a connection within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      const answerTimer = setTimeout(() => fail(udfError('UDF_ERR_REMOTE_TIMEOUT', `${where} did not answer ${request.method} ${pathOnly(request.path)} within ${timeoutMs / 1000} s`)), timeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && !settled && req.reusedSocket && error.code === 'ECONNRESET' && request.method === 'GET') {
          settled = true;
          clearTimeout(connectTimer);
          clearTimeout(answerTimer);
          resolve(this.exchange(request, false));
          return;
        }
        fail(networkError(where, error));
      });
      req.end(payload ?? undefined);
    });
  }
}

/** The error for a non-2xx answer: the token refused, the remote failing, or the remote's own error. */
export function answerError(remote: RemoteConfig, answer: RemoteAnswer): UdfStudioError {
  const where = `remote "${remote.name}"`;
  const data = remoteErrorData(answer.body);
  if (answer.status === 401 || (answer.status === 403 && data?.code !== 'UDF_ERR_TOKEN_DISABLED')) {
    return udfError('UDF_ERR_REMOTE_AUTH', `${where} refused the token (${answer.status}${data ? `: ${data.message}` : ''}); check it with "udf-studio remote list" and add the remote again with the right --token`);
  }
  // Too deep says so unchanged: a chain of remotes that leads back here must not grow the message each hop.
  if (data?.code === 'UDF_ERR_RECURSION') return new UdfStudioError(data);
  if (data) return new UdfStudioError({ ...data, message: `${where}: ${data.message}` });
  if (answer.status >= 500) return udfError('UDF_ERR_REMOTE_FAILED', `${where} failed with HTTP ${answer.status}${excerpt(answer.body)}`);
  return udfError('UDF_ERR_REMOTE_BAD_ANSWER', `${where} answered HTTP ${answer.status} without an error description${excerpt(answer.body)}`);
}

/** The `{"error": {code, message, ...}}` body of an answer, when it is one with a known code. */
function remoteErrorData(body: Buffer): ErrorData | null {
  const value = parseJson(body) as { error?: Partial<ErrorData> } | undefined;
  const error = value?.error;
  if (!error || !isErrorCode(error.code) || typeof error.message !== 'string') return null;
  const data: ErrorData = { code: error.code, message: error.message };
  if (typeof error.exceptionClass === 'string') data.exceptionClass = error.exceptionClass;
  if (typeof error.file === 'string') data.file = error.file;
  if (typeof error.line === 'number') data.line = error.line;
  if (typeof error.traceback === 'string') data.traceback = error.traceback;
  return data;
}

function networkError(where: string, error: NodeJS.ErrnoException): UdfStudioError {
  const reason: Record<string, string> = {
    ECONNREFUSED: 'refused the connection (is it running?)',
    ECONNRESET: 'dropped the connection (it may have stopped)',
    ENOTFOUND: 'has a host name that does not resolve',
    EAI_AGAIN: 'has a host name that cannot be resolved now (offline?)',
    EHOSTUNREACH: 'is unreachable from this network',
    ENETUNREACH: 'is unreachable: no network',
    ETIMEDOUT: 'did not answer the connection',
  };
  const text = (error.code && reason[error.code]) ?? `cannot be reached: ${error.message}`;
  return udfError(error.code === 'ETIMEDOUT' ? 'UDF_ERR_REMOTE_TIMEOUT' : 'UDF_ERR_REMOTE_UNREACHABLE', `${where} ${text}`);
}

/** A body's JSON value, or undefined when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function excerpt(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, 200)).replace(/\s+/g, ' ').trim();
  return text ? `: ${text}` : '';
}

/** A request path without its query (queries can hold parameter values; keep messages short). */
function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
