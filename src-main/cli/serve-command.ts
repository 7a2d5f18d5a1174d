/**
 * `udf-studio serve [--port N] [--workspace DIR]...`
 */

import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { startEngineServer, type EngineServer } from '../engine/server/engine-server.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../engine/server/default-address.js';
import { windowUrl } from '../engine/server/window-url.js';
import { UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { openInBrowser } from './open-browser.js';
import { parseOptions, positiveNumberOption, stringOption } from './options.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the engine and its localhost server (tile and file URLs for every UDF)',
  usage: `udf-studio serve [--port N] [--host ADDRESS] [--workspace DIR]... [--workers N] [--timeout SECONDS] [--open]

Starts the engine and serves every UDF on http://127.0.0.1:${DEFAULT_PORT} (Fused's URL shapes, TileJSON,
shared tokens) and the window. Prints "listening on http://127.0.0.1:N" once it answers, then a
one-time link that opens the window in a browser; Ctrl-C stops it.
  --port N          the port (default: Settings in the window, else ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDRESS    listen on ADDRESS instead of 127.0.0.1, e.g. 0.0.0.0 for a team server:
                    then every route needs a token (shared-token URLs carry theirs, everything
                    else the private token of credentials) and any machine that can reach the
                    port can try; put it behind TLS and a firewall
  --workspace DIR   serve the UDFs in DIR (repeatable; default: the folders chosen in Settings,
                    else the home's udfs/)
  --workers N       Python workers (default: one per CPU)
  --timeout SECONDS each run's time limit (default 120, as Fused's realtime engine); a run past it
                    is stopped (its worker replaced) and fails with UDF_ERR_TIMEOUT
  --open            as the desktop app does: set up or repair the Python runtime when it is missing or
                    broken (its progress in the window), and open the window in the system browser,
                    or print its URL when there is no display (what \`npm start\` runs without Electron)
  -v, --verbose     print the workers' own log (and pip's, with --open)`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string', multiple: true }, workers: { type: 'string' }, verbose: { type: 'boolean', short: 'v' },
      open: { type: 'boolean' }, timeout: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
    const portText = stringOption(values, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (!/^\d{1,5}$/.test(portText ?? '0') || (port ?? 0) > 65535) throw new UsageError(`--port needs a port number from 0 to 65535, got "${portText}"`);
    const workers = positiveNumberOption(values, 'workers');
    if (workers !== undefined && !Number.isInteger(workers)) throw new UsageError(`--workers needs a whole number, got ${workers}`);
    const timeoutSeconds = positiveNumberOption(values, 'timeout');
    const workspaces = values.workspace as string[] | undefined;
    const host = stringOption(values, 'host') ?? DEFAULT_HOST;
    if (!isIP(host) && host !== 'localhost') throw new UsageError(`--host needs an IP address such as 127.0.0.1 or 0.0.0.0, got "${host}"`);
    // Internal errors and warnings are always shown; the workers' own chatter only with --verbose.
    const log = (line: string): void => {
      if (values.verbose || line.startsWith('internal error') || line.startsWith('warning:')) io.stderr.write(`${line}\n`);
    };
    const server = await startEngineServer({
      env: io.env, host, log,
      ...(port !== undefined ? { port } : {}),
      ...(workspaces ? { workspaces } : {}),
      ...(workers ? { poolSize: workers } : {}),
      ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
      // A source checkout (it has the dev requirements) keeps its test tools through a repair.
      ...(values.open ? { setupRuntime: { dev: existsSync(resourcePaths(io.env).devRequirements) } } : {}),
    });
    // Handlers go in before the URL is printed: whoever reads it may signal us at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.stderr.write('stopping…\n');
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    if (server.services.teamMode) {
      io.stderr.write(`warning: team mode: listening on ${host}, reachable from other machines. Every request needs a token; anyone with the private token (${homePaths(io.env).credentials}) can run code here. Use it only on a network you trust, behind TLS.\n`);
    }
    io.stdout.write(`listening on ${server.url}\n`);
    if (!values.open) io.stdout.write(`open the window (this link works once): ${server.sessionLink()}\n`);
    if (values.open) {
      reportRuntime(server, io, values.verbose === true);
      const url = windowUrl(server);
      const result = await openInBrowser(url, io.env);
      if (result.opened) io.stderr.write(`opened ${url} in your browser\n`);
      else io.stdout.write(`${result.reason}: open ${url} in a browser\n`);
    }
    await stopped;
    return 0;
  },
};

/** Prints the runtime's setup steps (and pip's lines when verbose) while the window shows them too. */
function reportRuntime(server: EngineServer, io: CliIo, verbose: boolean): void {
  let last = '';
  const show = (status: EngineServer['runtime']['status']): void => {
    const text = status.phase === 'failed' ? `failed: ${status.error?.message ?? 'unknown error'} (details: ${server.url}/runtime)` : `${status.phase}: ${status.step}`;
    if (text !== last) io.stderr.write(`runtime ${text}\n`);
    last = text;
  };
  show(server.runtime.status);
  server.events.subscribe((event) => {
    if (event.type !== 'runtime') return;
    if (event.line === null) show(event.status);
    else if (verbose) io.stderr.write(`runtime: ${event.line}\n`);
  });
}
