import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { RemoteClient } from '../../../src-main/engine/remote/remote-client.js';

/** A tiny fake remote: each path answers one way a real remote can go wrong. */
const ANSWERS: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => json(res, 200, { fine: true }),
  '/garbage': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"fine": tru');
  },
  '/list': (_req, res) => json(res, 200, [1, 2]),
  '/500': (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end('<h1>Internal Server Error</h1>');
  },
  '/401': (_req, res) => json(res, 401, { error: { code: 'UDF_ERR_AUTH_REQUIRED', message: 'bad token' } }),
  '/403': (_req, res) => {
    res.writeHead(403);
    res.end('forbidden');
  },
  '/418': (_req, res) => {
    res.writeHead(418);
    res.end('teapot');
  },
  '/hang': () => {
    // Never answers: the client's time limit must end it.
  },
  '/cut': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    // Hangs up once the part is on its way.
    res.write('{"partial": ', () => res.destroy());
  },
};

let server: Server;
let url: string;
const seenAuthorization: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAuthorization.push(String(req.headers.authorization));
    const path = (req.url ?? '/').split('?')[0] as string;
    const base = Object.keys(ANSWERS).find((key) => path === key || path.startsWith(`${key}/`));
    (ANSWERS[base ?? '/500'] as (req: IncomingMessage, res: ServerResponse) => void)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(base = url): RemoteClient {
  return new RemoteClient({ name: 'fake', url: base, token: 'secret-token-123' });
}

async function failure(promise: Promise<unknown>): Promise<UdfStudioError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UdfStudioError);
    return error as UdfStudioError;
  }
  throw new Error('expected the call to fail');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('remote client', () => {
  it('sends the token as a Bearer token and reads JSON answers', async () => {
    expect(await client().json({ method: 'GET', path: '/ok' })).toEqual({ fine: true });
    expect(seenAuthorization).toContain('Bearer secret-token-123');
  });

  it('gives each way a remote fails its own clear error, never quoting the token', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['/garbage', 'UDF_ERR_REMOTE_BAD_ANSWER', /not a JSON object/],
      ['/list', 'UDF_ERR_REMOTE_BAD_ANSWER', /not a JSON object/],
      ['/500', 'UDF_ERR_REMOTE_FAILED', /failed with HTTP 500: <h1>Internal Server Error/],
      ['/401', 'UDF_ERR_REMOTE_AUTH', /refused the token \(401: bad token\)/],
      ['/403', 'UDF_ERR_REMOTE_AUTH', /refused the token \(403\)/],
      ['/418', 'UDF_ERR_REMOTE_BAD_ANSWER', /answered HTTP 418 without an error description: teapot/],
      ['/cut', 'UDF_ERR_REMOTE_UNREACHABLE', /closed the connection/],
    ];
    for (const [path, code, message] of cases) {
      const error = await failure(client().json({ method: 'GET', path }));
      expect(error.code, path).toBe(code);
      expect(error.message, path).toMatch(message);
      expect(error.message, path).toMatch(/remote "fake"/);
      expect(error.message).not.toContain('secret-token-123');
    }
  });

  it('sends a GET again on a fresh connection when the remote closed a kept-alive one', async () => {
    let requests = 0;
    const served = new WeakMap<object, number>();
    const closing = createServer((req, res) => {
      requests++;
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      // A remote that drops idle connections: a second request on one socket finds it gone.
      if (count > 1) req.socket.destroy();
      else json(res, 200, { n: requests });
    });
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(closing.address() as AddressInfo).port}`;
      expect(await client(base).json({ method: 'GET', path: '/a' })).toEqual({ n: 1 });
      expect(await client(base).json({ method: 'GET', path: '/b' })).toEqual({ n: 3 });
      expect(requests).toBe(3);
    } finally {
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    }
  });

  it('times out a remote that does not answer', async () => {
    const error = await failure(client().json({ method: 'GET', path: '/hang', timeoutMs: 300 }));
    expect(error.code).toBe('UDF_ERR_REMOTE_TIMEOUT');
    expect(error.message).toMatch(/did not answer GET \/hang within 0.3 s/);
  });

  it('reports a remote that is not listening as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(client(`http://127.0.0.1:${port}`).json({ method: 'GET', path: '/ok' }));
    expect(error.code).toBe('UDF_ERR_REMOTE_UNREACHABLE');
    expect(error.message).toMatch(/refused the connection \(is it running\?\)/);
  });
});
