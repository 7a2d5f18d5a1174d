/**
 * `udf-studio push NAME [--remote R]` and `udf-studio pull NAME|--all [--remote R]`: UDFs between
 * the workspace and a remote engine, keeping ids; a conflict is reported and nothing is overwritten.
 */

import { describeError, UdfStudioError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { RemoteClient } from '../engine/remote/remote-client.js';
import { RemoteStore } from '../engine/remote/remote-config.js';
import { UdfSync, type SyncResult } from '../engine/remote/udf-sync.js';
import { resourcePaths } from '../engine/resources.js';
import { openDatabase } from '../engine/store/database.js';
import { UdfIds } from '../engine/workspace/udf-ids.js';
import { seedWorkspace, Workspace } from '../engine/workspace/workspace.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { parseOptions, stringOption, type ParsedOptions } from './options.js';

const SYNC_OPTIONS = { remote: { type: 'string' }, workspace: { type: 'string', multiple: true }, all: { type: 'boolean' }, force: { type: 'boolean' } } as const;

export const pushCommand: Command = {
  name: 'push',
  summary: 'save a local UDF to a remote engine (keeps its id; refuses to overwrite remote changes)',
  usage: `udf-studio push NAME [--remote R] [--force] [--workspace DIR]...

Saves the workspace UDF NAME to the remote engine R (default: the first remote configured). The
remote copy keeps the UDF's id. When the remote copy changed since the last sync, nothing is
written and the command fails with a conflict (exit status 1): pull first, or keep your copy with
--force (the remote's changes are then replaced).`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, SYNC_OPTIONS);
    if (values.all) throw new UsageError('push takes one NAME (--all is for pull)');
    if (positionals.length !== 1) throw new UsageError('push needs the NAME of a workspace UDF');
    return withSync(io, values, async (sync, client) => {
      io.stdout.write(`${describeResult(await sync.push(client, positionals[0] as string, { force: values.force === true }), 'push', client.name)}\n`);
      return 0;
    });
  },
};

export const pullCommand: Command = {
  name: 'pull',
  summary: 'bring UDFs from a remote engine into the workspace (keeps ids; reports conflicts)',
  usage: `udf-studio pull NAME [--remote R] [--force] [--workspace DIR]...
udf-studio pull --all [--remote R] [--workspace DIR]...

Brings the remote's UDF NAME (or every remote UDF with --all) into the workspace, as a new folder
or over the local copy when only the remote changed since the last sync. A folder is written
beside its place and renamed in, so it is never half-written; other files in it are kept. A UDF
changed on both sides is a conflict: reported, left as it is, exit status 1; --force takes the
remote's copy anyway (your changes to it are then replaced).`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, SYNC_OPTIONS);
    if (values.all ? positionals.length !== 0 : positionals.length !== 1) throw new UsageError('pull needs the NAME of a remote UDF, or --all');
    if (values.all && values.force) throw new UsageError('--force takes one UDF at a time: pull NAME --force');
    return withSync(io, values, async (sync, client) => {
      if (!values.all) {
        io.stdout.write(`${describeResult(await sync.pull(client, positionals[0] as string, { force: values.force === true }), 'pull', client.name)}\n`);
        return 0;
      }
      let failed = 0;
      const results = await sync.pullAll(client);
      for (const result of results) {
        if ('error' in result) {
          failed++;
          io.stderr.write(`udf-studio: ${result.name}: ${result.error instanceof UdfStudioError ? describeError(result.error.data) : result.error.message}\n`);
        } else {
          io.stdout.write(`${describeResult(result, 'pull', client.name)}\n`);
        }
      }
      if (results.length === 0) io.stdout.write(`remote ${client.name} has no UDFs\n`);
      return failed > 0 ? EXIT_FAILURE : 0;
    });
  },
};

async function withSync(io: CliIo, values: ParsedOptions['values'], use: (sync: UdfSync, client: RemoteClient) => Promise<number>): Promise<number> {
  const paths = homePaths(io.env);
  const client = new RemoteClient(new RemoteStore(paths.remotes).get(stringOption(values, 'remote')));
  const folders = (values.workspace as string[] | undefined) ?? [paths.udfs];
  if (!values.workspace) seedWorkspace(paths.udfs, resourcePaths(io.env).exampleUdfs);
  const db = openDatabase(paths.database);
  try {
    return await use(new UdfSync(db, new UdfIds(db), new Workspace(folders), folders[0] as string), client);
  } finally {
    db.close();
  }
}

function describeResult(result: SyncResult, direction: 'push' | 'pull', remote: string): string {
  if (result.action === 'unchanged') return `${result.name} is already the same here and on ${remote}`;
  if (direction === 'push') return `${result.action === 'created' ? 'created' : 'updated'} ${result.name} on ${remote} (id ${result.id})`;
  return `${result.action === 'created' ? 'pulled' : 'updated'} ${result.name} from ${remote} into ${result.dir ?? 'the workspace'} (id ${result.id})`;
}
