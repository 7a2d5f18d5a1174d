/**
 * `udf-studio cluster add NAME tcp://HOST:PORT | list | remove NAME | local --workers N`: the Dask
 * clusters submit jobs and runs can go to, and a cluster on this machine to try them with.
 */

import { existsSync } from 'node:fs';
import { udfError } from '../../src-shared/errors.js';
import { ClusterStore } from '../engine/cluster/cluster-config.js';
import { LocalCluster } from '../engine/cluster/local-cluster.js';
import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { runtimePython } from '../engine/runtime/python-env.js';
import { UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { parseOptions, stringOption } from './options.js';

const DEFAULT_LOCAL_THREADS = 8;

export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'add, list and remove Dask clusters; start one on this machine',
  usage: `udf-studio cluster add NAME tcp://HOST:PORT
udf-studio cluster list [--json]
udf-studio cluster remove NAME
udf-studio cluster local [--workers N] [--threads T] [--port P] [--add NAME]

add      remembers a Dask cluster by its scheduler's address. Then "udf-studio submit ... --engine
         NAME", fused.submit(udf, args, engine="NAME"), udf.map(..., engine="NAME") and
         fused.run(udf, engine="NAME") run there. Every Dask worker needs UDF Studio's runtime
         package: pip install ./resources/runtime (from a checkout) in the workers' environment.
list     shows each cluster's name and scheduler address
remove   forgets a cluster
local    starts a Dask scheduler (port P, default a free one) and N workers (default 2) with T
         threads each (default ${DEFAULT_LOCAL_THREADS}) on this machine, prints the scheduler's address, and stops
         them all on Ctrl-C; --add NAME also adds it as cluster NAME (removed again on exit)
Clusters are kept in $UDF_STUDIO_HOME/clusters.json.`,

  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, {
      json: { type: 'boolean' }, workers: { type: 'string' }, threads: { type: 'string' }, port: { type: 'string' }, add: { type: 'string' },
    });
    const store = new ClusterStore(homePaths(io.env).clusters);
    const localOnly = ['workers', 'threads', 'port', 'add'].filter((name) => values[name] !== undefined);
    if (action !== 'local' && localOnly.length > 0) throw new UsageError(`--${localOnly[0] as string} belongs to "cluster local"`);
    if (action === 'add') {
      if (positionals.length !== 2) throw new UsageError('cluster add needs NAME and the scheduler address tcp://HOST:PORT');
      const cluster = store.add(positionals[0] as string, positionals[1] as string);
      io.stdout.write(`added cluster ${cluster.name} at ${cluster.address}\n`);
      return 0;
    }
    if (action === 'list') {
      if (positionals.length > 0) throw new UsageError('cluster list takes no arguments');
      const clusters = store.list();
      if (values.json) io.stdout.write(`${JSON.stringify(clusters, null, 2)}\n`);
      else if (clusters.length === 0) io.stdout.write('no Dask clusters; add one with: udf-studio cluster add NAME tcp://HOST:PORT\n');
      else io.stdout.write(`${clusters.map((c) => `${c.name.padEnd(16)} ${c.address}`).join('\n')}\n`);
      return 0;
    }
    if (action === 'remove') {
      if (positionals.length !== 1) throw new UsageError('cluster remove needs the NAME of a cluster');
      store.remove(positionals[0] as string);
      io.stdout.write(`removed cluster ${positionals[0] as string}\n`);
      return 0;
    }
    if (action === 'local') {
      if (positionals.length > 0) throw new UsageError('cluster local takes options only: --workers N --threads T --port P --add NAME');
      return runLocal(values, store, io);
    }
    throw new UsageError(action ? `unknown cluster action "${action}"; use add, list, remove or local` : 'cluster needs an action: add, list, remove or local');
  },
};

async function runLocal(values: Record<string, string | boolean | string[] | undefined>, store: ClusterStore, io: CliIo): Promise<number> {
  const workers = whole(values, 'workers', 2, 1, 64);
  const threads = whole(values, 'threads', DEFAULT_LOCAL_THREADS, 1, 256);
  const port = whole(values, 'port', 0, 0, 65_535);
  const name = stringOption(values, 'add');
  if (name !== undefined && store.list().some((cluster) => cluster.name === name)) throw udfError('UDF_ERR_USAGE', `a cluster named "${name}" already exists; remove it first or pick another --add NAME`);
  const python = runtimePython(homePaths(io.env).runtime);
  if (!existsSync(python)) throw udfError('UDF_ERR_RUNTIME_MISSING', `no Python runtime at ${homePaths(io.env).runtime}; run "udf-studio setup"`);
  io.stderr.write(`starting a Dask scheduler and ${workers} worker${workers === 1 ? '' : 's'} (${threads} threads each)…\n`);
  const cluster = await LocalCluster.start({ python, runtimeSources: resourcePaths(io.env).runtime, env: io.env, cwd: process.cwd(), workers, threads, port });
  // Handlers go in before the address is printed: whoever reads it may signal us at once.
  // A second Ctrl-C while stopping must not leave the processes behind: the handler stays on.
  let stopping = false;
  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    stop = (): void => {
      if (stopping) return;
      stopping = true;
      io.stderr.write('stopping the workers and the scheduler…\n');
      void cluster.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  try {
    if (name !== undefined) store.add(name, cluster.address);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  io.stderr.write(`scheduler pid ${cluster.scheduler.pid}, ${cluster.workers.map((worker) => `worker pid ${worker.pid}`).join(', ')}\n`);
  io.stdout.write(`scheduler at ${cluster.address}\n`);
  io.stderr.write(name !== undefined
    ? `added as cluster "${name}": udf-studio submit TARGET --args FILE --engine ${name}\n`
    : `use it with: udf-studio cluster add NAME ${cluster.address}\n`);
  await stopped;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (name !== undefined) store.remove(name);
  io.stderr.write('stopped\n');
  return 0;
}

function whole(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  if (typeof text !== 'string' || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} needs a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return Number(text);
}
