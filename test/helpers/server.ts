/**
 * A real engine server on a free loopback port, and raw HTTP requests to it.
 */

import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import { startEngineServer, type EngineServer, type EngineServerOptions } from '../../src-main/engine/server/engine-server.js';
import type { TestHome } from './test-home.js';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

/** Starts a server for the test home, serving the given workspace folders. */
export function startTestServer(home: TestHome, workspaces: string[], poolSize = 2, options: EngineServerOptions = {}): Promise<EngineServer> {
  return startEngineServer({ env: home.env, workspaces, port: 0, poolSize, preload: [], ...options });
}

/** One HTTP request with full control of the headers (fetch forbids setting Host). */
export function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: options.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The Bearer header for the server's private token. */
export function bearer(server: EngineServer): Record<string, string> {
  return { authorization: `Bearer ${server.services.privateToken}` };
}
