/**
 * `udf-studio connect`: prints the lines that point the official `fused` client at this engine.
 */

import { fusedClientSetup } from '../../src-shared/fused-client-setup.js';
import { homePaths } from '../engine/home.js';
import { loadOrCreatePrivateToken } from '../engine/tokens/private-token.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { expectedEngineUrl } from './engine-url.js';
import { parseOptions } from './options.js';

export const connectCommand: Command = {
  name: 'connect',
  summary: 'print the lines that point the official fused client (pip install fused) at this engine',
  usage: `udf-studio connect

Prints Python lines for a notebook or a script that already uses the official fused client: they
give it this engine's private token and URL, so fused.run, fused.load, tokens, udf.to_fused() and
the rest work against your local UDFs. The URL is the running engine's, else the one "udf-studio
serve" will use. The lines hold the private token: keep them out of shared notebooks (Settings in
the window copies a version that reads the token from the credentials file instead).`,

  run(args, io) {
    const { positionals } = parseOptions(args, {});
    if (positionals.length > 0) throw new UsageError(`connect takes no arguments, got ${positionals.join(' ')}`);
    const paths = homePaths(io.env);
    const token = loadOrCreatePrivateToken(paths.credentials);
    io.stdout.write(fusedClientSetup(expectedEngineUrl(paths), { token }));
    return 0;
  },
};
