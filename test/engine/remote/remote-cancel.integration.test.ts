/**
 * Fault injection (#7): a code run proxied to a UDF Studio remote stops there when the client of
 * the proxying server goes away. Two real servers on loopback, the remote with one worker: while
 * the abandoned run held it, nothing else could run there.
 */

import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import { bearer, request, startTestServer } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';
import { until } from '../../helpers/processes.js';

const SLOW = '@fused.udf\ndef udf():\n    import time\n    time.sleep(600)\n';
const ECHO = '@fused.udf\ndef udf(i: int = 0):\n    return {"i": i}\n';

const homes: TestHome[] = [];
const servers: EngineServer[] = [];

async function instance(name: string): Promise<EngineServer> {
  const home = makeTestHome(`udf-studio-cancel-${name}-`);
  home.write({ 'ws/Slow/meta.json': metaJson('Slow'), 'ws/Slow/Slow.py': SLOW, 'ws/Echo/meta.json': metaJson('Echo'), 'ws/Echo/Echo.py': ECHO });
  homes.push(home);
  const server = await startTestServer(home, [join(home.root, 'ws')], 1);
  servers.push(server);
  return server;
}

async function sharedToken(server: EngineServer, udf: string): Promise<string> {
  const created = await request(server.url, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: udf }) });
  expect(created.status).toBe(201);
  return (created.json() as { token: string }).token;
}

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  for (const home of homes) home.remove();
});

describe('#7: a run proxied to a remote engine', () => {
  it('#7: a code run proxied to a UDF Studio remote stops there when its client goes away, and the remote\'s worker is free for the next', async () => {
    const [here, remote] = await Promise.all([instance('here'), instance('remote')]);
    new RemoteStore(join(homes[0]!.root, 'remotes.json')).add('Remote', remote.url, remote.services.privateToken);
    for (const udf of ['Slow', 'Echo']) {
      const bound = await request(here.url, `/api/udfs/${udf}/engine`, { method: 'POST', headers: bearer(here), body: JSON.stringify({ remote: 'Remote' }) });
      expect(bound.status).toBe(200);
    }
    const slow = await sharedToken(here, 'Slow');
    // A client asks for the slow UDF and goes away once the remote's only worker runs it.
    const client = httpRequest(`${here.url}/${slow}/run/file?format=json&cache_max_age=0`);
    client.on('error', () => undefined);
    client.end();
    await until(() => remote.services.engine.pool.load().running === 1, 'the remote to run the proxied UDF');
    client.destroy();
    await until(() => remote.services.engine.pool.load().running === 0, 'the remote to stop the abandoned run');
    const runIds = remote.services.pendingRuns.runIds();
    expect(runIds).toHaveLength(1);
    const end = await remote.services.pendingRuns.wait(runIds[0]!, 0);
    expect(end && 'result' in end && !end.result.outcome.ok ? end.result.outcome.error.code : end).toBe('UDF_ERR_CANCELLED');
    // The next run through the proxy gets the remote's worker.
    const next = await request(here.url, `/${await sharedToken(here, 'Echo')}/run/file?format=json&i=5&cache_max_age=0`);
    expect(next.status).toBe(200);
    expect(next.json()).toEqual({ i: 5 });
    for (const server of [here, remote]) expect((await request(server.url, '/healthz')).status).toBe(200);
  }, 60_000);
});
