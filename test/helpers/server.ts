/**
 * A real engine server on a free loopback port, and raw HTTP requests to it.
 */

import { afterAll, beforeAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { startEngineServer, type EngineServer, type EngineServerOptions } from '../../src-main/engine/server/engine-server.js';
import { makeTestHome, metaJson, type TestHome } from './test-home.js';

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

/** A test home and the engine server on it. */
export interface HomeServer {
  home: TestHome;
  server: EngineServer;
  /** The server's base URL. */
  url: string;
}

export interface FileServerSetup {
  /** UDFs by name, written to ws/ (each with a minimal meta.json) before the server starts. */
  udfs?: Record<string, string>;
  /** Fills the home before the server starts (UDF folders under ws/, settings, files). */
  prepare?: (home: TestHome) => unknown;
  poolSize?: number;
  options?: EngineServerOptions;
  /** The home folder's name prefix (see makeTestHome). */
  prefix?: string;
}

/**
 * One engine server for a whole test file (or the describe block it is called in): before its tests,
 * a fresh home with `udfs`, filled by `prepare`, and a server on its ws/ folder, handed to `use`;
 * after them, the server closed and the home removed.
 */
export function serverForFile(use: (started: HomeServer) => void, setup: FileServerSetup = {}): void {
  let home: TestHome | null = null;
  let server: EngineServer | null = null;
  beforeAll(async () => {
    home = makeTestHome(setup.prefix);
    const workspace = join(home.root, 'ws');
    mkdirSync(workspace, { recursive: true });
    for (const [name, code] of Object.entries(setup.udfs ?? {})) home.write({ [`ws/${name}/meta.json`]: metaJson(name), [`ws/${name}/${name}.py`]: code });
    await setup.prepare?.(home);
    server = await startTestServer(home, [workspace], setup.poolSize, setup.options);
    use({ home, server, url: server.url });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    home?.remove();
  });
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

/** Resolves once the server has taken in a change to `name`'s folder (call it before the edit). */
export function settledChange(server: EngineServer, name: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = server.events.subscribe((event) => {
      if (event.type === 'workspace' && event.changed.some((entry) => entry.name === name)) {
        stop();
        resolve();
      }
    });
  });
}

/** The Bearer header for the server's private token. */
export function bearer(server: EngineServer): Record<string, string> {
  return { authorization: `Bearer ${server.services.privateToken}` };
}

/** What a browser holds after opening a one-time window link: the cookie and the session key. */
export interface WindowSession {
  cookie: string;
  key: string;
  /** The headers the window's own fetches carry (cookie, key, fetch metadata, Origin). */
  headers(extra?: Record<string, string>): Record<string, string>;
}

/** Opens a one-time window link as a browser would: the cookie it sets, the key its redirect carries. */
export async function openWindowSession(baseUrl: string, link: string): Promise<WindowSession> {
  const opened = await request(baseUrl, new URL(link).pathname);
  const key = /^\/#session-key=([A-Za-z0-9_-]+)$/.exec(String(opened.headers.location))?.[1];
  const cookie = String(opened.headers['set-cookie']).split(';')[0] as string;
  if (opened.status !== 303 || !key || !cookie.startsWith('udf_studio_session_')) {
    throw new Error(`the window link did not open a session: ${opened.status} ${String(opened.headers.location)}`);
  }
  return {
    cookie, key,
    headers: (extra = {}) => ({ cookie, 'x-udf-studio-session': key, 'sec-fetch-site': 'same-origin', origin: baseUrl, ...extra }),
  };
}
