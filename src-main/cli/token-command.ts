/**
 * `udf-studio token create NAME | list | revoke TOKEN`: shared tokens, in the same store the server uses.
 */

import { udfError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { openDatabase } from '../engine/store/database.js';
import { localAccount } from '../engine/account.js';
import { existingWorkspaces, SettingsStore } from '../engine/settings.js';
import { resolveTokenTarget } from '../engine/tokens/token-request.js';
import { TokenStore, type SharedToken } from '../engine/tokens/token-store.js';
import { UdfIds } from '../engine/workspace/udf-ids.js';
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

create   makes a token that runs the workspace UDF NAME; prints it and its file URL, tile URL and
         TileJSON URL
list     shows every token, its UDF and whether it is enabled (tokens made before version 4 of the
         database only by their first characters)
revoke   deletes a token, given in full or by its first characters (fsh_ and at least 6 more)`,

  run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, { workspace: { type: 'string', multiple: true }, json: { type: 'boolean' } });
    const paths = homePaths(io.env);
    const db = openDatabase(paths.database);
    try {
      const store = new TokenStore(db);
      if (action === 'create') {
        if (positionals.length !== 1) throw new UsageError('token create needs the NAME of a workspace UDF');
        const settings = new SettingsStore(paths.settings).read();
        const folders = (values.workspace as string[] | undefined) ?? existingWorkspaces(settings.workspaces, paths.settings, () => {}) ?? [paths.udfs];
        if (!values.workspace) seedWorkspace(paths.udfs, resourcePaths(io.env).exampleUdfs);
        const targets = { workspace: new Workspace(folders), ids: new UdfIds(db), account: localAccount(settings) };
        const token = store.create(resolveTokenTarget(targets, { udfSlug: positionals[0] }));
        const base = `${expectedEngineUrl(paths)}/server/v1/realtime-shared/${token.token}/run`;
        io.stdout.write(`${token.token}\n`);
        io.stderr.write(`shared token for ${token.udf_slug} (anyone holding it can run this UDF)\n  file:     ${base}/file\n  tiles:    ${base}/tiles/{z}/{x}/{y}\n  tilejson: ${base}/tiles/tilejson.json\n`);
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
        if (!given.startsWith('fsh_')) throw udfError('UDF_ERR_USAGE', `"${given}" is not a shared token (they start with fsh_)`);
        const removed = store.delete(given);
        io.stdout.write(`revoked ${removed.token} (${removed.udf_slug})\n`);
        return 0;
      }
      throw new UsageError(action ? `unknown token action "${action}"; use create, list or revoke` : 'token needs an action: create, list or revoke');
    } finally {
      db.close();
    }
  },
};

function formatList(tokens: SharedToken[]): string {
  if (tokens.length === 0) return 'no shared tokens; create one with: udf-studio token create NAME\n';
  const width = Math.max(...tokens.map((t) => t.token.length));
  const rows = tokens.map((t) => `${t.token.padEnd(width)} ${t.udf_slug.padEnd(24)} ${t.enabled ? 'enabled ' : 'disabled'} ${t.created_at}`);
  return `${'TOKEN'.padEnd(width)} ${'UDF'.padEnd(24)} STATE    CREATED\n${rows.join('\n')}\n`;
}
