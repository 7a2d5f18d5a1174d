/**
 * Fault injection (#3): remote engines that lead back here. Real servers on loopback, reached only
 * through a shared token (anyone holding one can start the loop): one server switched to itself,
 * and two servers switched to each other, with a UDF that calls its own token again. The loop must
 * end early with a short UDF_ERR_RECURSION, the next run must answer and the server stay healthy.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface Instance {
  home: TestHome;
  server: EngineServer;
}

const instances: Instance[] = [];

async function instance(where: string): Promise<Instance> {
  const home = makeTestHome(`udf-studio-loop-${where}-`);
  home.write({ 'ws/Loop/meta.json': metaJson('Loop'), 'ws/Loop/Loop.py': LOOP(where) });
  const server = await startTestServer(home, [join(home.root, 'ws')], 1);
  const made = { home, server };
  instances.push(made);
  return made;
}

/** Adds `to` as the remote `name` of `from`, and switches `from`'s Loop to it. */
async function switchTo(from: Instance, name: string, to: Instance): Promise<void> {
  new RemoteStore(join(from.home.root, 'remotes.json')).add(name, to.server.url, to.server.services.privateToken);
  const bound = await request(from.server.url, '/api/udfs/Loop/engine', { method: 'POST', headers: bearer(from.server), body: JSON.stringify({ remote: name }) });
  expect(bound.status).toBe(200);
}

async function sharedToken(at: Instance): Promise<string> {
  const created = await request(at.server.url, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(at.server), body: JSON.stringify({ udf_slug: 'Loop' }) });
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
});
