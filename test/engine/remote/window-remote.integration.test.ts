/**
 * What the window needs from remote engines, on two real instances (A uses B): its run and tile
 * routes follow the engine switch, and A follows B's changes live once their sync state is asked.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AppEvent, RemotesListing, SyncListing } from '../../../src-shared/app-api.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import { bearer, request, startTestServer } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

let homeA: TestHome;
let homeB: TestHome;
let a: EngineServer;
let b: EngineServer;
/** A server that is not a UDF Studio: no event stream (404 for everything but the UDF list). */
let hosted: Server;
/** One per event-stream request the hosted server got: resolves when the asker hangs up. */
const hostedHangUps: Promise<void>[] = [];
const events: AppEvent[] = [];

/** Tells which instance ran it: each worker's home is its own. */
const WHERE = '@fused.udf\ndef udf(n: int = 1):\n    import os\n    import pandas as pd\n    return pd.DataFrame({"home": [os.environ["UDF_STUDIO_HOME"]] * n})\n';
const TILE = '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    import numpy as np\n    return np.full((16, 16), 200, dtype="uint8")\n';

function writeUdf(home: TestHome, name: string, code: string): void {
  home.write({ [`ws/${name}/meta.json`]: metaJson(name), [`ws/${name}/${name}.py`]: code });
}

const api = (server: EngineServer, path: string, method = 'GET', body?: unknown) =>
  request(server.url, path, { method, headers: { ...bearer(server), 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

/**
 * Follows `server`'s event stream as A does; `ready` once it is connected, `event` at the first
 * event that `until` accepts. B writes each event to A's stream before this later one.
 */
function followEvents(server: EngineServer, until: (event: AppEvent) => boolean): { ready: Promise<void>; event: Promise<AppEvent> } {
  let connected: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const event = new Promise<AppEvent>((resolve, reject) => {
    const url = new URL(server.url);
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/api/events', headers: bearer(server) }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = buffer.slice(0, end).split('\n').find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (!data) continue;
          const parsed = JSON.parse(data.slice(6)) as AppEvent;
          if (parsed.type === 'hello') connected();
          else if (until(parsed)) {
            req.destroy();
            resolve(parsed);
          }
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
  return { ready, event };
}

beforeAll(async () => {
  homeA = makeTestHome('udf-studio-wa-');
  homeB = makeTestHome('udf-studio-wb-');
  writeUdf(homeA, 'Where', WHERE);
  writeUdf(homeA, 'Gray_Tile', TILE);
  writeUdf(homeB, 'Only_B', '@fused.udf\ndef udf():\n    return {"b": True}\n');
  [a, b] = await Promise.all([startTestServer(homeA, [join(homeA.root, 'ws')], 1), startTestServer(homeB, [join(homeB.root, 'ws')], 1)]);
  hosted = createServer((req, res) => {
    if (req.url?.split('?')[0] === '/api/events') hostedHangUps.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
    if (req.url?.split('?')[0] === '/server/v1/udf/self') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"detail": "Not Found"}');
  });
  await new Promise<void>((resolve) => hosted.listen(0, '127.0.0.1', resolve));
  const store = new RemoteStore(join(homeA.root, 'remotes.json'));
  store.add('B', b.url, b.services.privateToken);
  store.add('Hosted', `http://127.0.0.1:${(hosted.address() as AddressInfo).port}`, 'hosted-token');
  a.events.subscribe((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await new Promise((resolve) => hosted?.close(resolve));
  homeA?.remove();
  homeB?.remove();
});

describe('the window\'s runs follow the engine switch', () => {
  it('runs locally, then on B with the local code, and back', async () => {
    const local = await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '2' } });
    expect(local.headers['x-udf-studio-engine']).toBe('local');
    expect(local.json()).toEqual([{ home: homeA.root }, { home: homeA.root }]);

    expect((await api(a, '/api/udfs/Where/engine', 'POST', { remote: 'B' })).json()).toEqual({ name: 'Where', remote: 'B' });
    expect(events).toContainEqual({ type: 'remote', udf: 'Where', change: 'engine', remote: 'B' });
    const remote = await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '2' } });
    expect(remote.status).toBe(200);
    expect(remote.headers['x-udf-studio-engine']).toBe('B');
    // A list of records from the remote is a table, as a local run's would be.
    expect(remote.headers['x-udf-studio-kind']).toBe('table');
    expect(remote.json()).toEqual([{ home: homeB.root }, { home: homeB.root }]);
    expect((await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '2' } })).headers['x-udf-studio-cache']).toBe('hit');

    // An edit here is what B runs next (the code travels with the run): no push needed.
    appendFileSync(join(homeA.root, 'ws', 'Where', 'Where.py'), '# edited\n');
    await expect.poll(async () => (await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '2' } })).headers['x-udf-studio-cache'], { timeout: 10_000 }).toBe('miss');

    await api(a, '/api/udfs/Where/engine', 'POST', { remote: null });
    const back = await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '1' } });
    expect(back.headers['x-udf-studio-engine']).toBe('local');
    expect(back.json()).toEqual([{ home: homeA.root }]);
  });

  it('map tiles come from B while the UDF is switched there', async () => {
    await api(a, '/api/udfs/Gray_Tile/engine', 'POST', { remote: 'B' });
    const tile = await api(a, '/api/udfs/Gray_Tile/tiles/3/4/2.png?v=abc');
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('image/png');
    expect(tile.headers['x-udf-studio-engine']).toBe('B');
    expect(tile.body.subarray(1, 4).toString()).toBe('PNG');
    expect((await api(a, '/api/udfs/Gray_Tile/tiles/3/99/2.png')).status).toBe(400);
    await api(a, '/api/udfs/Gray_Tile/engine', 'POST', { remote: null });
  });

  it('a remote that cannot run it gives the window a clear error naming it; local runs carry on', async () => {
    await api(a, '/api/udfs/Where/engine', 'POST', { remote: 'Hosted' });
    const failed = await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '3' } });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect((failed.json() as { error: { code: string; message: string } }).error.message).toContain('Hosted');
    await api(a, '/api/udfs/Where/engine', 'POST', { remote: null });
    expect((await api(a, '/api/udfs/Where/run', 'POST', { params: { n: '3' } })).status).toBe(200);
  });
});

describe('following a remote\'s changes', () => {
  it('a UDF Studio remote is live once asked: an edit over there arrives as a remote-changed event', async () => {
    const first = (await api(a, '/api/remotes/B/sync')).json() as SyncListing;
    expect(first.udfs.find((udf) => udf.name === 'Only_B')?.state).toBe('remote-only');
    await expect.poll(async () => ((await api(a, '/api/remotes/B/sync')).json() as SyncListing).live, { timeout: 10_000 }).toBe(true);
    events.length = 0;
    appendFileSync(join(homeB.root, 'ws', 'Only_B', 'Only_B.py'), '# changed on B\n');
    await expect.poll(() => events.some((event) => event.type === 'remote' && event.change === 'remote-changed' && event.udf === 'Only_B' && event.remote === 'B'), { timeout: 10_000 }).toBe(true);
  });

  it('a remote without an event stream is not live, and says so every time', async () => {
    const listing = (await api(a, '/api/remotes/Hosted/sync')).json() as SyncListing;
    expect(listing).toMatchObject({ remote: 'Hosted', live: false });
    // A asked for the hosted server's event stream, read the 404 and hung up.
    await expect.poll(() => hostedHangUps.length, { timeout: 10_000 }).toBe(1);
    await hostedHangUps[0];
    expect(((await api(a, '/api/remotes/Hosted/sync')).json() as SyncListing).live).toBe(false);
    expect(hostedHangUps).toHaveLength(1);
  });

  it('removing a remote switches its UDFs back to local, with an event, and stops following it', async () => {
    await api(a, '/api/udfs/Where/engine', 'POST', { remote: 'B' });
    events.length = 0;
    expect((await api(a, '/api/remotes/B', 'DELETE')).status).toBe(200);
    expect(events).toContainEqual({ type: 'remote', udf: 'Where', change: 'engine', remote: null });
    expect(((await api(a, '/api/remotes')).json() as RemotesListing).engines).toEqual([]);
    events.length = 0;
    const witness = followEvents(b, (event) => event.type === 'workspace' && event.changed.some((entry) => entry.name === 'Only_B'));
    await witness.ready;
    writeFileSync(join(homeB.root, 'ws', 'Only_B', 'Only_B.py'), '@fused.udf\ndef udf():\n    return 2\n');
    // B writes a change to its followers in the order they joined: once this later one has it and
    // the reads of that turn are done, A would have it too, had it still followed B.
    await witness.event;
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events.filter((event) => event.type === 'remote')).toEqual([]);
    expect((await api(a, '/api/remotes/B/sync')).status).toBe(404);
  });
});
