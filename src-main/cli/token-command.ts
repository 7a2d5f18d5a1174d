/**
 * `udf-studio token create NAME | list | revoke TOKEN`: shared tokens, in the same store the server uses.
 */

import { udfError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { openDatabase } from '../engine/store/database.js';
import { TokenStore, looksLikeSharedToken, type SharedToken } from '../engine/tokens/token-store.js';
import { Workspace, seedWorkspace } from '../engine/workspace/workspace.js';
import { resourcePaths } from '../engine/resources.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { expectedEngineUrl } from './engine-url.js';
import { parseOptions } from './options.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, list and revoke shared tokens (fsh_...) that run one UDF over HTTP',
  usage: `udf-studio token create NAME [--workspace DIR]...
udf-studio token list [--json]
udf-studio token revoke TOKEN

create   makes a token that runs the workspace UDF NAME; prints it (shown only this once) and its
         file URL, tile URL and TileJSON URL
list     shows every token (only the first characters of each), its UDF and whether it is enabled
revoke   deletes a token, given in full or by the prefix "list" shows`,

  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, { workspace: { type: 'string', multiple: true }, json: { type: 'boolean' } });
    const paths = homePaths(io.env);
    const db = openDatabase(paths.database);
    try {
      const store = new TokenStore(db);
      if (action === 'create') {
        if (positionals.length !== 1) throw new UsageError('token create needs the NAME of a workspace UDF');
        const folders = (values.workspace as string[] | undefined) ?? [paths.udfs];
        if (!values.workspace) seedWorkspace(paths.udfs, resourcePaths(io.env).exampleUdfs);
        const udf = new Workspace(folders).resolveName(positionals[0] as string);
        const fusedId = udf.source.metadata['fused:id'];
        const token = store.create({ udfSlug: udf.name, udfId: typeof fusedId === 'string' ? fusedId : null });
        const base = `${expectedEngineUrl(paths)}/server/v1/realtime-shared/${token.token}/run`;
        io.stdout.write(`${token.token}\n`);
        io.stderr.write(`shared token for ${udf.name} (shown only now; keep it somewhere safe)\n  file:     ${base}/file\n  tiles:    ${base}/tiles/{z}/{x}/{y}\n  tilejson: ${base}/tiles/tilejson.json\n`);
        return 0;
      }
      if (action === 'list') {
        if (positionals.length > 0) throw new UsageError('token list takes no arguments');
        const tokens = store.list();
        io.stdout.write(values.json ? `${JSON.stringify(tokens, null, 2)}\n` : formatList(tokens));
        return 0;
      }
      if (action === 'revoke') {
        if (positionals.length !== 1) throw new UsageError('token revoke needs the TOKEN (in full, or the prefix "token list" shows)');
        const given = positionals[0] as string;
        if (looksLikeSharedToken(given) && store.delete(given)) {
          io.stdout.write(`revoked ${given.slice(0, 10)}…\n`);
          return 0;
        }
        if (!given.startsWith('fsh_')) throw udfError('UDF_ERR_USAGE', `"${given}" is not a shared token (they start with fsh_)`);
        const removed = store.deleteByPrefix(given);
        io.stdout.write(`revoked ${removed.token} (${removed.udf_slug})\n`);
        return 0;
      }
      throw new UsageError(action ? `unknown token action "${action}"; use create, list or revoke` : 'token needs an action: create, list or revoke');
    } finally {
      db.close();
    }
  },
};

/** The running engine's URL from engine.json, else the default one. */
function formatList(tokens: SharedToken[]): string {
  if (tokens.length === 0) return 'no shared tokens; create one with: udf-studio token create NAME\n';
  const rows = tokens.map((t) => `${t.token.padEnd(14)} ${t.udf_slug.padEnd(24)} ${t.enabled ? 'enabled ' : 'disabled'} ${t.created_at}`);
  return `${'TOKEN'.padEnd(14)} ${'UDF'.padEnd(24)} STATE    CREATED\n${rows.join('\n')}\n`;
}
