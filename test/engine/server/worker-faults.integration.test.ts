/**
 * Fault injection against a real server (issue 16, points 6, 7 and 8): a UDF that breaks its
 * worker's pipes, clients that go away mid-run, a fork bomb within bounds. Each checks the run's
 * answer, the next run's answer and that the server is still healthy.
 */

import { request as httpRequest, type ClientRequest } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineRun } from '../../../src-main/engine/engine-run.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { TestHome } from '../../helpers/test-home.js';
import { isRunning, until } from '../../helpers/processes.js';
import { bearer, request, serverForFile } from '../../helpers/server.js';

const UDFS: Record<string, string> = {
  Echo: '@fused.udf\ndef udf(i: int = 0):\n    import os\n    return {"i": i, "pid": os.getpid()}\n',
  Pipe_Breaker: '@fused.udf\ndef udf():\n    import os\n    os.close(3)\n    return {"broke": 3}\n',
  Time_Limit: '@fused.udf\ndef udf():\n    from fused._engine_client import time_limit_s\n    return {"limit": time_limit_s()}\n',
  Sleepy: '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(600)\n    return i\n',
  // Counts its starts in `log`, then waits for the file `gate`.
  Gate: `@fused.udf
def udf(gate: str, log: str):
    import os, time
    with open(log, "a") as f:
        f.write("started\\n")
    while not os.path.exists(gate):
        time.sleep(0.02)
    return "opened"
`,
  Fork_Bomb: `@fused.udf
def udf(out: str):
    import json, os, time
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            while not os.path.exists(out):  # allocate once the parent has said who we are
                time.sleep(0.01)
            block = bytearray(150 * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(600)
            os._exit(0)
        pids.append(pid)
    with open(out + ".tmp", "w") as f:
        json.dump(pids, f)
    os.rename(out + ".tmp", out)
    for pid in pids:
        os.waitpid(pid, 0)
`,
};

let home: TestHome;
let server: EngineServer;
const runs: EngineRun[] = [];

serverForFile((started) => ({ home, server } = started), { udfs: UDFS, poolSize: 1, options: { memoryLimitBytes: 400 * 1024 ** 2, timeoutMs: 30_000 } });

beforeAll(() => {
  // Observes the runs the routes ask for (each has the signal its client's going away aborts).
  const engine = server.engine;
  const run = engine.run.bind(engine);
  engine.run = (asked) => {
    runs.push(asked);
    return run(asked);
  };
});

function saved(name: string, query: Record<string, string | number> = {}): string {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
  return `/server/v1/realtime/local/api/v1/run/udf/saved/me/${name}?format=json&${search.toString()}`;
}

/** A request whose client can go away: it resolves nothing, it is only ever destroyed. */
function abandoned(path: string, body?: unknown): ClientRequest {
  const url = new URL(server.url);
  const headers = body === undefined ? bearer(server) : { ...bearer(server), 'content-type': 'application/json' };
  const req = httpRequest({ host: url.hostname, port: url.port, path, method: body === undefined ? 'GET' : 'POST', headers, agent: false });
  req.on('error', () => {});
  req.end(body === undefined ? undefined : JSON.stringify(body));
  return req;
}

/** The next run's answer is right and the server is healthy, its worker replaced if need be. */
async function expectHealthyAfter(): Promise<void> {
  const next = await request(server.url, saved('Echo', { i: 42 }), { headers: bearer(server) });
  expect(next.status).toBe(200);
  expect((next.json() as { i: number }).i).toBe(42);
  const health = await until(async () => {
    const answer = await request(server.url, '/healthz');
    return answer.status === 200 && (answer.json() as { workers: number }).workers === 1 ? answer : null;
  }, 'a healthy server with its worker');
  expect(health.json()).toEqual({ status: 'ok', workers: 1 });
}

describe('fault injection: workers (issue 16)', () => {
  it('#6: a UDF that closes its worker\'s request pipe gets a clear error, not a 200, and the next run is answered', async () => {
    const broken = await request(server.url, saved('Pipe_Breaker'), { headers: bearer(server) });
    expect(broken.status).toBe(422);
    expect(broken.json()).toMatchObject({ error: { code: 'UDF_ERR_WORKER_CRASHED' } });
    expect((broken.json() as { error: { message: string } }).error.message).toMatch(/request pipes \(fd 3, fd 5\)/);
    await expectHealthyAfter();
  });

  it('#7: a run stops when its HTTP client goes away, so abandoned requests do not delay the next', async () => {
    const pool = server.engine.pool;
    const clients = [1, 2, 3, 4].map((i) => abandoned(saved('Sleepy', { i })));
    await until(() => pool.load().running + pool.load().queued === 4, 'four runs in the pool');
    for (const client of clients) client.destroy();
    await until(() => pool.load().running + pool.load().queued === 0, 'the abandoned runs to stop');
    await expectHealthyAfter();
  });

  it('#7: the window\'s run of a UDF stops when the window goes away', async () => {
    const pool = server.engine.pool;
    const window = abandoned('/api/udfs/Sleepy/run', { params: { i: '7' } });
    await until(() => pool.load().running === 1, 'the window\'s run in the pool');
    window.destroy();
    await until(() => pool.load().running + pool.load().queued === 0, 'the window\'s run to stop');
    await expectHealthyAfter();
  });

  it('#7: a run shared by two requests goes on when one of their clients goes away', async () => {
    const gate = join(home.root, 'gate');
    const log = join(home.root, 'gate.log');
    const path = saved('Gate', { gate, log });
    const before = runs.length;
    const leaving = abandoned(path);
    await until(() => runs.length === before + 1, 'the first request to reach the engine');
    const staying = request(server.url, path, { headers: bearer(server) });
    await until(() => runs.length === before + 2, 'the second request to join');
    leaving.destroy();
    await until(() => runs[before]?.signal?.aborted, 'the server to see the first client go');
    writeFileSync(gate, '');
    const answer = await staying;
    expect(answer.status).toBe(200);
    expect(answer.json()).toBe('opened');
    expect(readFileSync(log, 'utf8')).toBe('started\n');
    await expectHealthyAfter();
  });

  it('#8: a fork bomb within bounds is stopped by the group memory limit, its processes end, and the next run is answered', async () => {
    const out = join(home.root, 'forks.json');
    const answer = await request(server.url, saved('Fork_Bomb', { out }), { headers: bearer(server) });
    expect(answer.status).toBe(422);
    expect(answer.json()).toMatchObject({ error: { code: 'UDF_ERR_MEMORY_LIMIT' } });
    expect(existsSync(out)).toBe(true);
    const forks = JSON.parse(readFileSync(out, 'utf8')) as number[];
    await until(() => forks.every((pid) => !isRunning(pid)), 'the forks to end');
    await expectHealthyAfter();
  }, 60_000);

  it('a nested run waits for the engine as long as the engine\'s own time limit (serve --timeout), not Fused\'s 120 s', async () => {
    const answer = await request(server.url, saved('Time_Limit'), { headers: bearer(server) });
    expect([answer.status, answer.json()]).toEqual([200, { limit: 30 }]);
  });
});
