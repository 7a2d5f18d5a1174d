/**
 * `udf-studio secret set NAME | list | remove NAME`: the secrets UDF code reads as
 * `fused.secrets["NAME"]`. Values come from a hidden prompt or a pipe, never from the command line,
 * and are never printed.
 */

import { MAX_SECRET_VALUE_BYTES, SECRET_NAME_RULE, type SecretsListing } from '../../src-shared/app-api.js';
import { homePaths } from '../engine/home.js';
import { checkSecretName, SecretStore } from '../engine/secrets/secret-store.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { InputCancelled, readHiddenValue } from './hidden-input.js';
import { parseOptions } from './options.js';

/** The exit status of a prompt left with Ctrl-C, as shells give an interrupted command. */
const EXIT_CANCELLED = 130;

export const secretCommand: Command = {
  name: 'secret',
  summary: 'set, list and remove the secrets UDFs read as fused.secrets["NAME"]',
  usage: `udf-studio secret set NAME
udf-studio secret list [--json]
udf-studio secret remove NAME

set      stores a secret (or replaces it). The value is read from stdin when it is piped
         (printf %s "$TOKEN" | udf-studio secret set NAME; one final line break is dropped),
         else typed at a prompt that does not show it. It is never taken from the command line,
         where shell history and other users' "ps" would see it. UDF code reads it as
         fused.secrets["NAME"], fused.secrets.NAME or fused.secrets.get("NAME"), from the next
         run on, with no restart.
list     shows the secrets' names (never their values)
remove   forgets a secret
NAME is ${SECRET_NAME_RULE}; a value is at most ${MAX_SECRET_VALUE_BYTES} bytes.
Secrets are kept in $UDF_STUDIO_HOME/secrets.json, readable only by you (mode 0600).`,

  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, { json: { type: 'boolean' } });
    const store = new SecretStore(homePaths(io.env).secrets);
    if (values.json !== undefined && action !== 'list') throw new UsageError('--json belongs to "secret list"');
    if (action === 'set') {
      if (positionals.length !== 1) throw new UsageError('secret set needs the NAME of the secret (and its value on stdin or at the prompt, never as an argument)');
      const name = checkSecretName(positionals[0] as string);
      let value: string;
      try {
        value = await readHiddenValue(io.stdin ?? process.stdin, io.stderr, `value of ${name} (not shown): `, MAX_SECRET_VALUE_BYTES);
      } catch (error) {
        if (!(error instanceof InputCancelled)) throw error;
        io.stderr.write('udf-studio: cancelled; no secret was set\n');
        return EXIT_CANCELLED;
      }
      const { replaced } = store.set(name, value);
      io.stdout.write(`${replaced ? 'replaced' : 'set'} secret ${name}\n`);
      return 0;
    }
    if (action === 'list') {
      if (positionals.length > 0) throw new UsageError('secret list takes no arguments');
      const names = store.names();
      if (values.json) io.stdout.write(`${JSON.stringify({ secrets: names.map((name) => ({ name })) } satisfies SecretsListing, null, 2)}\n`);
      else if (names.length === 0) io.stdout.write('no secrets; set one with: udf-studio secret set NAME\n');
      else io.stdout.write(`${names.join('\n')}\n`);
      return 0;
    }
    if (action === 'remove') {
      if (positionals.length !== 1) throw new UsageError('secret remove needs the NAME of a secret');
      const name = positionals[0] as string;
      store.remove(name);
      io.stdout.write(`removed secret ${name}\n`);
      return 0;
    }
    throw new UsageError(action ? `unknown secret action "${action}"; use set, list or remove` : 'secret needs an action: set, list or remove');
  },
};
