import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { RemoteClient } from '../../../src-main/engine/remote/remote-client.js';
import { runOnRemote } from '../../../src-main/engine/remote/remote-runs.js';
import { inlineUdf } from '../../helpers/pool.js';

/** One request the fake remote saw. */
interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
}

const SAVED = { id: 'saved-id', slug: 'Saved', udf_body: JSON.stringify({ name: 'Saved', code: '@fused.udf\ndef udf(n: int = 1, k: int = 0):\n    return n\n', parameters: { k: 5 }, headers: [{ module_name: 'h', source_code: 'X = 1\n' }] }) };

let server: Server;
let url: string;
let seen: Seen[] = [];
/** How the fake answers a run request (a code run's start or poll, a token run). */
let answerRun: (seen: Seen, res: ServerResponse) => void;
let instances: unknown = [{ client_id: 'second', preference_rank: 1 }, { client_id: 'best', preference_rank: 5 }, { client_id: 'also-best', preference_rank: 5 }];

/** A fake hosted API: the official client's discovery and lookup routes, and runs answered by {@link answerRun}. */
function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const target = new URL(req.url ?? '/', 'http://fake');
  const entry: Seen = { method: req.method ?? '', path: target.pathname, query: target.searchParams, headers: req.headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : null };
  seen.push(entry);
  const path = target.pathname;
  if (path === '/server/v1/realtime-instance/available') return json(res, 200, instances);
  if (path === '/server/v1/user/self') return json(res, 200, { email: 'ada@example.org', handle: 'ada', execution_environment_id: 'team-1' });
  if (path === '/server/v1/udf/by-user-email/ada@example.org/by-collection/default/by-slug/Saved') return json(res, 200, SAVED);
  if (path === '/server/v1/udf/exec-env/self/by-collection/default/by-slug/Saved') return json(res, 200, SAVED);
  if (path.startsWith('/server/v1/udf/')) return json(res, 404, { detail: 'Not Found' });
  answerRun(entry, res);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let tokens = 0;
beforeEach(() => {
  seen = [];
  answerRun = (_seen, res) => json(res, 200, { ran: true }, { 'x-fused-metadata': JSON.stringify({ stdout: 'hi\n', stderr: '' }) });
});

/** A client with a token of its own, so what remote-session.ts keeps from other tests does not count. */
function client(): RemoteClient {
  return new RemoteClient({ name: 'fake', url, token: `token-${++tokens}` });
}

const code = inlineUdf('Local', '@fused.udf\ndef udf(n: int = 1):\n    return n\n');
const runs = () => seen.filter((entry) => entry.path.startsWith('/server/v1/realtime/') || entry.path.startsWith('/server/v1/realtime-shared/'));

describe('runs on a remote, as the official client sends them', () => {
  it('starts a code run on the preferred instance, then polls with the same run id until it answers', async () => {
    let polls = 0;
    answerRun = (entry, res) => {
      if (entry.method === 'GET' && ++polls < 3) return json(res, 202, { status: 'running' });
      if (entry.method === 'POST') return json(res, 202, { status: 'running' });
      json(res, 200, { n: 2 }, { 'x-fused-metadata': JSON.stringify({ stdout: 'done\n', stderr: '' }) });
    };
    const remote = client();
    const outcome = await runOnRemote(remote, { target: { kind: 'code', udf: code }, params: { n: 2 }, cacheMaxAge: '10m', formats: ['json'] });
    expect(outcome).toMatchObject({ ok: true, format: 'json', stdout: 'done\n' });
    const [start, ...gets] = runs();
    expect(start).toMatchObject({ method: 'POST', path: '/server/v1/realtime/best/api/v1/run/udf/start' });
    expect(Object.fromEntries(start?.query ?? [])).toEqual({ cache_max_age: '600', fused_cache_disable_stream: 'true' });
    expect(start?.headers).toMatchObject({
      'x-fused-cache-disable': 'true', 'fused-recursion': '1', 'fused-share-user-email': 'ada@example.org',
      'fused-share-execution-environment-id': 'team-1', 'content-type': 'application/json',
    });
    const runId = String(start?.headers['fused-run-id']);
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(start?.body ?? {}).sort()).toEqual(['format', 'profile', 'step_config']);
    expect(start?.body).toMatchObject({ format: 'json', profile: false });
    const step = JSON.parse(String(start?.body?.step_config)) as { type: string; udf: Record<string, unknown> };
    expect(step).toMatchObject({ type: 'udf', udf: { name: 'Local', entrypoint: 'udf', parameters: { n: 2 }, code: code.code, headers: [] } });
    expect(gets.map((entry) => [entry.method, entry.path, entry.headers['fused-run-id']])).toEqual(Array.from({ length: 3 }, () => ['GET', `/server/v1/realtime/best/api/v1/run/udf/get/${runId}`, runId]));

    // What the remote said about itself is kept: the next run asks it nothing first.
    seen = [];
    answerRun = (_entry, res) => json(res, 200, { n: 1 });
    await runOnRemote(remote, { target: { kind: 'code', udf: code }, tile: { z: 3, x: 1, y: 2 } });
    expect(seen.map((entry) => `${entry.method} ${entry.path}`)).toEqual(['POST /server/v1/realtime/best/api/v1/run/udf/start/tiles/3/1/2']);
    expect(seen[0]?.body?.format).toBe('parquet,png,text,html,json,bytes');
  });

  it('looks a saved name up as fused.load does, then runs its code with the call\'s parameters over its own', async () => {
    const outcome = await runOnRemote(client(), { target: { kind: 'saved', name: 'Saved' }, params: { n: '3' }, tile: { z: 1, x: 0, y: 1 }, depth: 2 });
    expect(outcome.ok).toBe(true);
    expect(seen.map((entry) => `${entry.method} ${entry.path}`).sort()).toEqual([
      'GET /server/v1/realtime-instance/available',
      'GET /server/v1/udf/by-user-email/ada@example.org/by-collection/default/by-slug/Saved',
      'GET /server/v1/user/self',
      'POST /server/v1/realtime/best/api/v1/run/udf/start/tiles/1/0/1',
    ]);
    const start = runs()[0];
    expect(start?.headers['fused-recursion']).toBe('3');
    const step = JSON.parse(String(start?.body?.step_config)) as { udf: Record<string, unknown> };
    expect(step.udf).toMatchObject({ name: 'Saved', parameters: { k: 5, n: '3' }, headers: [{ module_name: 'h', source_code: 'X = 1\n' }] });

    seen = [];
    expect((await runOnRemote(client(), { target: { kind: 'saved', name: 'team/Saved' } })).ok).toBe(true);
    expect(seen.map((entry) => entry.path)).toContain('/server/v1/udf/exec-env/self/by-collection/default/by-slug/Saved');
    expect(seen.map((entry) => entry.path)).not.toContain('/server/v1/udf/by-user-email/ada@example.org/by-collection/default/by-slug/Saved');
  });

  it('an unknown saved name is a failed run naming it, not a remote failure', async () => {
    const outcome = await runOnRemote(client(), { target: { kind: 'saved', name: 'bob@example.org/Missing' } });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatchObject({ code: 'UDF_ERR_NOT_FOUND' });
    expect(outcome.error.message).toContain('bob@example.org/Missing');
    expect(seen.map((entry) => entry.path)).toEqual(['/server/v1/udf/by-user-email/bob@example.org/by-collection/default/by-slug/Missing']);
  });

  it('a token run sends the format, profile and parameters in the query, and no discovery', async () => {
    await runOnRemote(client(), { target: { kind: 'token', token: 'fsh_abc' }, params: { name: 'Ada', flags: [1, 2] }, tile: { z: 4, x: 5, y: 6 }, formats: ['png'], cacheMaxAge: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/server/v1/realtime-shared/fsh_abc/run/tiles/4/5/6' });
    expect(Object.fromEntries(seen[0]?.query ?? [])).toEqual({ cache_max_age: '0', format: 'png', profile: 'False', fused_cache_disable_stream: 'true', name: 'Ada', flags: '[1,2]' });
    expect(seen[0]?.headers).toMatchObject({ 'x-fused-cache-disable': 'true', 'fused-recursion': '1' });
    await runOnRemote(client(), { target: { kind: 'token', token: 'fsh_abc' } });
    expect(seen[1]?.path).toBe('/server/v1/realtime-shared/fsh_abc/run/file');
  });

  it('a UDF error comes back with its line, from the error body or from x-fused-metadata alone', async () => {
    answerRun = (_entry, res) => json(res, 422, { error: { code: 'UDF_ERR_RUNTIME', message: 'ValueError: nope', line: 3 } }, { 'x-fused-metadata': JSON.stringify({ stdout: 'printed\n', stderr: '' }) });
    const failed = await runOnRemote(client(), { target: { kind: 'code', udf: code } });
    expect(failed).toMatchObject({ ok: false, stdout: 'printed\n', error: { code: 'UDF_ERR_RUNTIME', line: 3, message: 'remote "fake": ValueError: nope' } });
    // Fused's API says it only in the metadata header.
    answerRun = (_entry, res) => json(res, 422, { detail: 'UDF failed' }, { 'x-fused-metadata': JSON.stringify({ stdout: '', has_exception: true, errormsg: 'no data', lineno: 7, exception_class: 'KeyError' }) });
    const hosted = await runOnRemote(client(), { target: { kind: 'token', token: 'fsh_abc' } });
    expect(hosted).toMatchObject({ ok: false, error: { code: 'UDF_ERR_RUNTIME', line: 7, exceptionClass: 'KeyError', message: 'remote "fake": no data' } });
  });

  it('stops polling a run that never ends at the run\'s time limit', async () => {
    // Only the clock the deadline is read from is fake: each poll moves it a minute on.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      answerRun = (_entry, res) => {
        vi.advanceTimersByTime(60_000);
        json(res, 202, { status: 'running' });
      };
      const remote = client();
      const error = await runOnRemote(remote, { target: { kind: 'code', udf: code } }).then(() => null, (caught: unknown) => caught as UdfStudioError);
      expect(error?.code).toBe('UDF_ERR_REMOTE_TIMEOUT');
      expect(error?.message).toMatch(/did not finish the run within 150 s/);
      expect(runs().filter((entry) => entry.method === 'GET')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a cancelled run closes its request to the remote and ends as cancelled, a code run\'s polling and a token run alike', async () => {
    for (const target of [{ kind: 'code', udf: code }, { kind: 'token', token: 'fsh_abc' }] as const) {
      seen = [];
      let held: ServerResponse | null = null;
      let closed = false;
      // A code run's start is answered "running"; its poll (or the token run) is never answered.
      answerRun = (entry, res) => {
        if (entry.method === 'POST') return json(res, 202, { status: 'running' });
        if (entry.method === 'DELETE') return json(res, 200, { status: 'cancelled' });
        held = res;
        res.once('close', () => {
          closed = true;
        });
      };
      const controller = new AbortController();
      const running = runOnRemote(client(), { target, signal: controller.signal });
      await vi.waitFor(() => expect(held).not.toBeNull());
      controller.abort();
      const outcome = await running;
      expect(outcome).toMatchObject({ ok: false, error: { code: 'UDF_ERR_CANCELLED' } });
      await vi.waitFor(() => expect(closed).toBe(true));
      if (target.kind === 'code') {
        // #7: the remote is asked to stop the run it started (a UDF Studio remote then cancels it).
        const poll = runs().find((entry) => entry.method === 'GET');
        await vi.waitFor(() => expect(runs().filter((entry) => entry.method === 'DELETE').map((entry) => entry.path)).toContain(poll?.path));
      }
    }
  });

  it('an empty answer is an empty result (a 204 for a map tile)', async () => {
    answerRun = (_entry, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end();
    };
    expect(await runOnRemote(client(), { target: { kind: 'code', udf: code }, tile: { z: 1, x: 1, y: 1 } })).toMatchObject({ ok: true, empty: true, kind: 'empty' });
  });

  it('a malformed metadata header, a refused token and a remote with no instance are remote errors', async () => {
    const failure = async (promise: Promise<unknown>): Promise<UdfStudioError> => {
      const error = await promise.then(() => null, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(UdfStudioError);
      return error as UdfStudioError;
    };
    answerRun = (_entry, res) => json(res, 200, {}, { 'x-fused-metadata': '{not json' });
    expect((await failure(runOnRemote(client(), { target: { kind: 'token', token: 'fsh_abc' } }))).code).toBe('UDF_ERR_REMOTE_BAD_ANSWER');
    answerRun = (_entry, res) => json(res, 401, { detail: 'bad token' });
    expect((await failure(runOnRemote(client(), { target: { kind: 'token', token: 'fsh_abc' } }))).code).toBe('UDF_ERR_REMOTE_AUTH');
    const before = instances;
    try {
      for (const broken of [[], { client_id: 'x' }, [{ name: 'no id' }]]) {
        instances = broken;
        const error = await failure(runOnRemote(client(), { target: { kind: 'code', udf: code } }));
        expect(error.code).toBe('UDF_ERR_REMOTE_BAD_ANSWER');
        expect(error.message).toMatch(/realtime-instance\/available/);
      }
    } finally {
      instances = before;
    }
  });
});
