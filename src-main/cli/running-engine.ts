/**
 * Finds a running engine from the home's engine.json, so commands that change its state (the
 * cache) go through it rather than behind its back.
 */

import { readFileSync } from 'node:fs';
import type { HomePaths } from '../engine/home.js';

export interface RunningEngine {
  url: string;
  privateToken: string;
  /** What its `/healthz` answered: `{status, workers}`, with `problems` while degraded. */
  health: { status?: unknown; problems?: unknown };
}

/** The running engine, or null when engine.json is absent, stale, or the engine does not answer. */
export async function findRunningEngine(paths: HomePaths): Promise<RunningEngine | null> {
  let info: { url?: unknown; pid?: unknown };
  let credentials: { access_token?: unknown };
  try {
    info = JSON.parse(readFileSync(paths.engineInfo, 'utf8')) as typeof info;
    credentials = JSON.parse(readFileSync(paths.credentials, 'utf8')) as typeof credentials;
  } catch {
    return null;
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number' || typeof credentials.access_token !== 'string') return null;
  let health: RunningEngine['health'];
  try {
    process.kill(info.pid, 0);
    // With the token: a team server answers /healthz only to it.
    const answer = await fetch(`${info.url}/healthz`, { headers: { authorization: `Bearer ${credentials.access_token}` }, signal: AbortSignal.timeout(1_000) });
    if (!answer.ok) return null;
    health = (await answer.json()) as RunningEngine['health'];
  } catch {
    return null;
  }
  return { url: info.url, privateToken: credentials.access_token, health };
}

/** Calls the running engine with its private token; a non-2xx answer throws its message. */
export async function callEngine(engine: RunningEngine, method: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${engine.url}${path}`, { method, headers: { authorization: `Bearer ${engine.privateToken}` } });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const error = (body.error ?? {}) as { code?: string; message?: string };
    throw new Error(`${error.code ?? response.status}: ${error.message ?? 'the engine refused the request'}`);
  }
  return body;
}
