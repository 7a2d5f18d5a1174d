/**
 * `udf-studio remote add NAME URL --token T | list | remove NAME`: the remote engines runs, push and
 * pull can go to. Tokens are stored with mode 0600 and never printed.
 */

import { homePaths } from '../engine/home.js';
import { RemoteStore } from '../engine/remote/remote-config.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { parseOptions, stringOption } from './options.js';

export const remoteCommand: Command = {
  name: 'remote',
  summary: 'add, list and remove remote engines (a hosted API or another UDF Studio server)',
  usage: `udf-studio remote add NAME URL --token TOKEN
udf-studio remote list [--json]
udf-studio remote remove NAME

add      remembers a remote engine: its base URL (e.g. http://10.0.0.5:8765 for a team server
         started with "udf-studio serve --host 0.0.0.0") and its access token (for a UDF Studio
         server, the private token in its home's credentials file). The first remote added is the
         default for "run --remote", push and pull.
list     shows each remote's name and URL (never the token)
remove   forgets a remote and its token
Remotes are kept in $UDF_STUDIO_HOME/remotes.json, readable only by you (mode 0600).`,

  run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, { token: { type: 'string' }, json: { type: 'boolean' } });
    const store = new RemoteStore(homePaths(io.env).remotes);
    if (action === 'add') {
      if (positionals.length !== 2) throw new UsageError('remote add needs NAME and URL (and --token TOKEN)');
      const token = stringOption(values, 'token');
      if (token === undefined) throw new UsageError('remote add needs --token TOKEN: the remote\'s access token');
      const remote = store.add(positionals[0] as string, positionals[1] as string, token);
      io.stdout.write(`added remote ${remote.name} at ${remote.url}\n`);
      return 0;
    }
    if (values.token !== undefined) throw new UsageError('--token belongs to "remote add"');
    if (action === 'list') {
      if (positionals.length > 0) throw new UsageError('remote list takes no arguments');
      const remotes = store.summaries();
      if (values.json) io.stdout.write(`${JSON.stringify(remotes, null, 2)}\n`);
      else if (remotes.length === 0) io.stdout.write('no remote engines; add one with: udf-studio remote add NAME URL --token TOKEN\n');
      else io.stdout.write(`${remotes.map((r) => `${r.name.padEnd(16)} ${r.url}${r.isDefault ? '  (default)' : ''}`).join('\n')}\n`);
      return 0;
    }
    if (action === 'remove') {
      if (positionals.length !== 1) throw new UsageError('remote remove needs the NAME of a remote');
      store.remove(positionals[0] as string);
      io.stdout.write(`removed remote ${positionals[0] as string}\n`);
      return 0;
    }
    throw new UsageError(action ? `unknown remote action "${action}"; use add, list or remove` : 'remote needs an action: add, list or remove');
  },
};
