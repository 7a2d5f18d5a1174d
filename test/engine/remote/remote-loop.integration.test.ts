/**
 * Fault injection (#3): remote engines that lead back here. Real servers on loopback, reached only
 * through a shared token (anyone holding one can start the loop): one server switched to itself,
 * and two servers switched to each other, with a UDF that calls its own token again. The loop must
 * end early with a short UDF_ERR_RECURSION, the next run must answer and the server stay healthy.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteStore } from '../../../src-main/engine/remote/remote-config.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, startTestServer } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

/** Calls the shared token it is given on the configured remote; without one it answers where it ran. */
const LOOP = (where: string): string => `@fused.udf
def udf(token: str = ""):
    if not token:
        return {"ran": "${where}"}
    return fused.run(token, token=token, engine="remote")
`;

/**
 * Notes the level it runs at (Fused's recursion factor) in `log`, then calls the shared token it
 * is given on the configured remote.
 */
const HOPS = `import json
@fused.udf
def udf(token: str = "", log: str = ""):
    with open(log, "a") as f:
        f.write(json.dumps(fused.context.get_recursion_factor()) + "\\n")
    return fused.run(token, token=token, log=log, engine="remote")
`;

interface Instance {
  home: TestHome;
  server: EngineServer;
}

const instances: Instance[] = [];

async function instance(where: string): Promise<Instance> {
  const home = makeTestHome(`udf-studio-loop-${where}-`);
  home.write({ 'ws/Loop/meta.json': metaJson('Loop'), 'ws/Loop/Loop.py': LOOP(where), 'ws/Hops/meta.json': metaJson('Hops'), 'ws/Hops/Hops.py': HOPS });
  const server = await startTestServer(home, [join(home.root, 'ws')], 1);
  const made = { home, server };
  instances.push(made);
  return made;
}

/** Adds `to` as the remote `name` of `from`, and switches `from`'s `udf` to it. */
async function switchTo(from: Instance, name: string, to: Instance, udf = 'Loop'): Promise<void> {
  new RemoteStore(join(from.home.root, 'remotes.json')).add(name, to.server.url, to.server.services.privateToken);
  const bound = await request(from.server.url, `/api/udfs/${udf}/engine`, { method: 'POST', headers: bearer(from.server), body: JSON.stringify({ remote: name }) });
  expect(bound.status).toBe(200);
}

async function sharedToken(at: Instance, udf = 'Loop'): Promise<string> {
  const created = await request(at.server.url, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(at.server), body: JSON.stringify({ udf_slug: udf }) });
  expect(created.status).toBe(201);
  return (created.json() as { token: string }).token;
}

/** The loop's answer, the next run's, and `/healthz`, all through the shared token. */
async function expectLoopRefused(at: Instance, token: string, nextRanAt: string): Promise<void> {
  const looped = await request(at.server.url, `/${token}/run/file?format=json&token=${token}&cache_max_age=0`);
  expect(looped.status).toBe(508);
  const error = (looped.json() as { error: { code: string; message: string } }).error;
  expect(error.code).toBe('UDF_ERR_RECURSION');
  expect(error.message).toMatch(/^UDFs call each other \d+ levels deep; the limit is 5/);
  expect(looped.body.length).toBeLessThan(2_000);
  const next = await request(at.server.url, `/${token}/run/file?format=json`);
  expect(next.status).toBe(200);
  expect(next.json()).toEqual({ ran: nextRanAt });
  const health = await request(at.server.url, '/healthz');
  expect(health.status).toBe(200);
}

beforeAll(() => {
  instances.length = 0;
});

afterAll(async () => {
  await Promise.all(instances.map((made) => made.server.close()));
  for (const made of instances) made.home.remove();
});

describe('#3: a remote engine that leads back here', () => {
  it('#3: a UDF switched to this server itself is refused early with a short UDF_ERR_RECURSION', async () => {
    const self = await instance('self');
    await switchTo(self, 'Self', self);
    await expectLoopRefused(self, await sharedToken(self), 'self');
  }, 60_000);

  it('#3: two servers switched to each other are refused early with a short UDF_ERR_RECURSION', async () => {
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    await switchTo(a, 'B', b);
    await switchTo(b, 'A', a);
    // A's token runs Loop on B (A's switch), whose code calls A's token again (B's remote is A).
    await expectLoopRefused(a, await sharedToken(a), 'b');
    expect((await request(b.server.url, '/healthz')).status).toBe(200);
  }, 60_000);

  it('#3: each proxied hop counts as a level: two servers switched to each other reach the limit in half the runs, and a hop past it is refused there', async () => {
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    await switchTo(a, 'B', b, 'Hops');
    await switchTo(b, 'A', a, 'Hops');
    const token = await sharedToken(a, 'Hops');
    const log = join(a.home.root, 'levels.log');
    // A proxies to B (a hop), B's run calls A's token (a UDF's call), A proxies again...
    const looped = await request(a.server.url, `/${token}/run/file?format=json&token=${token}&log=${encodeURIComponent(log)}&cache_max_age=0`);
    expect(looped.status).toBe(508);
    const error = (looped.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('UDF_ERR_RECURSION');
    expect(error.message).toMatch(/^UDFs call each other 6 levels deep; the limit is 5/);
    expect(looped.body.length).toBeLessThan(2_000);
    // Levels as the UDF saw them on B: each cycle adds two, the hop's and the call's (1, 2, 3... before).
    expect(readFileSync(log, 'utf8').trim().split('\n').map(Number)).toEqual([2, 4, 6]);
    // A request already at the limit is refused by the engine the hop reaches (B), with its own code.
    const deep = await request(a.server.url, `/${token}/run/file?format=json&token=${token}&log=${encodeURIComponent(log)}&cache_max_age=0`, { headers: { 'fused-recursion': '6' } });
    expect(deep.status).toBe(508);
    const refused = (deep.json() as { error: { code: string; message: string } }).error;
    expect(refused).toMatchObject({ code: 'UDF_ERR_RECURSION', message: 'UDFs call each other 6 levels deep; the limit is 5' });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(3);
    for (const at of [a, b]) expect((await request(at.server.url, '/healthz')).status).toBe(200);
    expect((await request(a.server.url, `/${await sharedToken(a)}/run/file?format=json`)).json()).toEqual({ ran: 'a' });
  }, 60_000);
});
