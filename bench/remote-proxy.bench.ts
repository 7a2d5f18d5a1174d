/**
 * Remote engines: a tile proxied through a local token URL to another instance (the engine switch),
 * next to the same tile fetched from that instance directly, measured in the same run.
 */

import { Agent } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteStore } from '../src-main/engine/remote/remote-config.js';
import { startEngineServer } from '../src-main/engine/server/engine-server.js';
import { get } from './http-get.js';
import { ms, report, summarise } from './stats.js';

const TILES = 300;
const HITS = 2_000;

export async function benchRemoteProxy(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  process.stdout.write('\nRemote engines: tiles proxied to another instance on 127.0.0.1\n');
  const workspaceB = join(home, 'remote-b');
  mkdirSync(join(workspaceB, 'Cell'), { recursive: true });
  writeFileSync(join(workspaceB, 'Cell', 'Cell.py'), '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    return {"bounds": list(bounds)}\n');
  const homeA = join(home, 'remote-a-home');
  const homeB = join(home, 'remote-b-home');
  const b = await startEngineServer({ env: { ...env, UDF_STUDIO_HOME: homeB }, workspaces: [workspaceB], port: 0, poolSize: 1, preload: [] });
  const a = await startEngineServer({ env: { ...env, UDF_STUDIO_HOME: homeA }, workspaces: [join(home, 'remote-a')], port: 0, poolSize: 1, preload: [] });
  try {
    new RemoteStore(a.engine.paths.remotes).add('B', b.url, b.services.privateToken);
    a.services.remotes.bind('Cell', 'B');
    const tokenA = a.services.tokens.create({ udfSlug: 'Cell' }).token;
    const tokenB = b.services.tokens.create({ udfSlug: 'Cell' }).token;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const tile = (i: number): string => `tiles/12/${i}/1409?format=json`;
    const timed = async (base: string, path: string): Promise<number> => {
      const started = performance.now();
      const status = await get(base, path, agent);
      if (status !== 200) throw new Error(`${path} answered ${status}`);
      return performance.now() - started;
    };
    // B computes and caches every tile first, so the figures below are HTTP and proxy costs.
    for (let i = 0; i < TILES; i++) await timed(b.url, `/${tokenB}/run/${tile(i)}`);
    const direct: number[] = [];
    const proxiedMiss: number[] = [];
    const proxiedHit: number[] = [];
    for (let i = 0; i < TILES; i++) direct.push(await timed(b.url, `/${tokenB}/run/${tile(i)}`));
    for (let i = 0; i < TILES; i++) proxiedMiss.push(await timed(a.url, `/${tokenA}/run/${tile(i)}`));
    for (let i = 0; i < HITS; i++) proxiedHit.push(await timed(a.url, `/${tokenA}/run/${tile(i % TILES)}`));
    agent.destroy();
    report(`cached tile from the remote directly, p50 (${TILES} tiles)`, ms(summarise(direct).p50), 'reference');
    report('the same through the local proxy, first fetch (remote cache hit), p50', ms(summarise(proxiedMiss).p50), 'one more HTTP hop');
    report(`the same through the local proxy, local cache hit, p50 (${HITS})`, ms(summarise(proxiedHit).p50), 'no remote call');
  } finally {
    await a.close();
    await b.close();
  }
}
