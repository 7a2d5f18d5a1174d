/**
 * `udf-studio cache stats [--json]` and `udf-studio cache clear [UDF] [--z Z --x X --y Y]`.
 *
 * With an engine running, both go through it (its memory tier must forget what is cleared);
 * otherwise they work on the cache's files and index directly.
 */

import { parseTile, type Tile } from '../../src-shared/tiles.js';
import { ResultCache, type CacheStats } from '../engine/cache/result-cache.js';
import { homePaths, type HomePaths } from '../engine/home.js';
import { openDatabase } from '../engine/store/database.js';
import { UdfIds } from '../engine/workspace/udf-ids.js';
import { Workspace } from '../engine/workspace/workspace.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { parseOptions, stringOption } from './options.js';
import { callEngine, findRunningEngine } from './running-engine.js';

export const cacheCommand: Command = {
  name: 'cache',
  summary: 'show the result cache, or clear it for a UDF, one tile, or everything',
  usage: `udf-studio cache stats [--json]
udf-studio cache clear [UDF] [--z Z --x X --y Y]

stats    entries and bytes, in all and per UDF
clear    with no UDF: every cached result; with a UDF name: that UDF's results; with --z --x --y
         (all three): only that tile's`,

  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, { json: { type: 'boolean' }, z: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' } });
    const paths = homePaths(io.env);
    const running = await findRunningEngine(paths);
    if (action === 'stats') {
      if (positionals.length > 0) throw new UsageError('cache stats takes no arguments');
      const stats = running ? ((await callEngine(running, 'GET', '/api/cache')) as unknown as CacheStats & { byUdf: Array<{ name?: string | null }> }) : withLocalCache(paths, (cache) => cache.stats());
      io.stdout.write(values.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
      return 0;
    }
    if (action === 'clear') {
      if (positionals.length > 1) throw new UsageError('cache clear takes at most one UDF name');
      const tile = parseTile(stringOption(values, 'x'), stringOption(values, 'y'), stringOption(values, 'z'));
      const name = positionals[0];
      if (tile && !name) throw new UsageError('--z --x --y clear one tile of a UDF: name the UDF too');
      const deleted = running ? await clearThroughEngine(running, name, tile) : withLocalCache(paths, (cache, ids) => clearLocally(cache, ids, paths, name, tile));
      io.stdout.write(`removed ${deleted} cached result${deleted === 1 ? '' : 's'}${name ? ` of ${name}` : ''}${tile ? ` for tile ${tile.z}/${tile.x}/${tile.y}` : ''}\n`);
      return 0;
    }
    throw new UsageError(action ? `unknown cache action "${action}"; use stats or clear` : 'cache needs an action: stats or clear');
  },
};

async function clearThroughEngine(engine: NonNullable<Awaited<ReturnType<typeof findRunningEngine>>>, name: string | undefined, tile: Tile | null): Promise<number> {
  if (!name) return Number((await callEngine(engine, 'DELETE', '/api/cache')).deleted);
  const query = tile ? `?z=${tile.z}&x=${tile.x}&y=${tile.y}` : '';
  const answer = await callEngine(engine, 'DELETE', `/server/v1/realtime-shared/local/udf-cache/by-id/${encodeURIComponent(name)}/delete${query}`);
  return Number(answer.deleted);
}

function clearLocally(cache: ResultCache, ids: UdfIds, paths: HomePaths, name: string | undefined, tile: Tile | null): number {
  if (!name) return cache.clear();
  const udf = new Workspace([paths.udfs]).resolveName(name);
  return cache.invalidate(ids.idFor(udf), tile);
}

function withLocalCache<T>(paths: HomePaths, use: (cache: ResultCache, ids: UdfIds) => T): T {
  const db = openDatabase(paths.database);
  try {
    const cache = new ResultCache(db, paths.resultCache);
    const result = use(cache, new UdfIds(db));
    cache.flush();
    return result;
  } finally {
    db.close();
  }
}

function formatStats(stats: CacheStats & { byUdf: Array<{ name?: string | null }> }): string {
  const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  const lines = [`${stats.entries} cached results, ${mib(stats.bytes)} of ${mib(stats.capBytes)}`];
  for (const row of stats.byUdf) lines.push(`  ${(row.name ?? row.udfId).padEnd(28)} ${String(row.entries).padStart(6)}  ${mib(row.bytes)}`);
  return `${lines.join('\n')}\n`;
}
