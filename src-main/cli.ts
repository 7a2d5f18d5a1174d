/**
 * The `udf-studio` command: dispatches to one module per command in cli/.
 */

import { reportError, UsageError } from './cli/cli-error.js';
import type { CliIo, Command } from './cli/command.js';
import { cacheCommand } from './cli/cache-command.js';
import { clusterCommand } from './cli/cluster-command.js';
import { connectCommand } from './cli/connect-command.js';
import { doctorCommand } from './cli/doctor-command.js';
import { exportCommand } from './cli/export-command.js';
import { installCommand } from './cli/install-command.js';
import { newCommand } from './cli/new-command.js';
import { pythonCommand } from './cli/python-command.js';
import { qgisCommand } from './cli/qgis-command.js';
import { remoteCommand } from './cli/remote-command.js';
import { runCommand } from './cli/run-command.js';
import { secretCommand } from './cli/secret-command.js';
import { serveCommand } from './cli/serve-command.js';
import { setupCommand } from './cli/setup-command.js';
import { submitCommand } from './cli/submit-command.js';
import { pullCommand, pushCommand } from './cli/sync-commands.js';
import { tokenCommand } from './cli/token-command.js';

/** Every command, in the order `udf-studio help` lists them. */
export const COMMANDS: readonly Command[] = [serveCommand, runCommand, submitCommand, exportCommand, tokenCommand, qgisCommand, cacheCommand, newCommand, secretCommand, remoteCommand, pushCommand, pullCommand, clusterCommand, connectCommand, doctorCommand, setupCommand, installCommand, pythonCommand];

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = COMMANDS.find((command) => command.name === rest[0]);
    io.stdout.write(topic ? `${topic.usage}\n` : overview());
    return 0;
  }
  if (name === '--version') {
    io.stdout.write('udf-studio 0.1.0\n');
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (rest.includes('--help') && command.name !== 'python') {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, (text) => io.stderr.write(text));
  }
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `udf-studio: write and run Fused-style UDFs on your own machine

Usage: udf-studio COMMAND [OPTIONS]

${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run "udf-studio help COMMAND" for a command's options.
`;
}
