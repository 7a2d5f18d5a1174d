/**
 * `udf-studio qgis NAME [--param NAME=VALUE]... [--color-by COLUMN] [--out FILE.qlr] [--no-open]`:
 * a QGIS layer file for a tile UDF's tiles, through a new shared token; opened in QGIS when it is
 * installed, else saved with how to open it.
 */

import { resolve } from 'node:path';
import { QGIS_HOW_TO_OPEN } from '../../src-shared/qgis.js';
import { localAccount } from '../engine/account.js';
import { Engine } from '../engine/engine.js';
import { homePaths } from '../engine/home.js';
import { defaultLayerFile, ensureLayerFolder, writeQgisLayer } from '../engine/qgis/qgis-layer.js';
import { openInQgis } from '../engine/qgis/qgis-program.js';
import { SettingsStore } from '../engine/settings.js';
import { TokenStore } from '../engine/tokens/token-store.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { expectedEngineUrl } from './engine-url.js';
import { keyValueOptions, parseOptions, stringOption } from './options.js';
import { findRunningEngine } from './running-engine.js';

export const qgisCommand: Command = {
  name: 'qgis',
  summary: 'write a QGIS layer file (.qlr) for a tile UDF\'s tiles and open it in QGIS',
  usage: `udf-studio qgis NAME [--param NAME=VALUE]... [--color-by COLUMN] [--out FILE.qlr] [--no-open]

Makes a shared token for the workspace UDF NAME and writes a QGIS layer definition file for its
tiles: an XYZ raster layer for image tiles, a vector tile layer for features, coloured as the
window's map colours them (fused:vizConfig, or --color-by). The tile URL carries the parameters.
When QGIS is installed (qgis on PATH, or UDF_STUDIO_QGIS) it opens with the layer; otherwise the
file's path is printed with how to open it. The layer reads tiles from the running engine
(udf-studio serve); revoke its token with "udf-studio token revoke" to stop it.
  -p, --param NAME=VALUE   a UDF parameter (repeat for more); checked by running one tile
  --color-by COLUMN        colour vector features by COLUMN instead of the map's default
  -o, --out FILE.qlr       where to write the file (default: the home's qgis/NAME.qlr)
  --no-open                only write the file
  --workspace DIR          look NAME up in DIR (repeatable) instead of the workspace folders
Prints the file's path on stdout; the token, the URL and what happened on stderr.`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      param: { type: 'string', short: 'p', multiple: true },
      'color-by': { type: 'string' },
      out: { type: 'string', short: 'o' },
      'no-open': { type: 'boolean' },
      workspace: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'qgis needs the NAME of a tile UDF' : `qgis takes one NAME, got ${positionals.length}: ${positionals.join(' ')}`);
    const params = keyValueOptions(values, 'param');
    const colorBy = stringOption(values, 'color-by');
    if (colorBy === '') throw new UsageError('--color-by needs a column name');
    const paths = homePaths(io.env);
    const workspaces = values.workspace as string[] | undefined;
    const running = await findRunningEngine(paths);
    const engine = await Engine.open({ env: io.env, poolSize: 1, preload: [], ...(workspaces ? { workspaces } : {}) });
    try {
      const udf = engine.workspace.resolveName(positionals[0] as string);
      const given = stringOption(values, 'out');
      const out = given === undefined ? defaultLayerFile(paths.root, udf.name) : resolve(given);
      if (given === undefined) ensureLayerFolder(out);
      const owner = localAccount(new SettingsStore(paths.settings).read()).email;
      const layer = await writeQgisLayer(engine, new TokenStore(engine.db), { udf, params, colorBy: colorBy ?? null, out, owner, serverUrl: running?.url ?? expectedEngineUrl(paths) });
      io.stdout.write(`${layer.file}\n`);
      io.stderr.write(`wrote a ${layer.kind} tile layer for ${udf.name}\n  token: ${layer.token} (shared; revoke with: udf-studio token revoke ${layer.token})\n  tiles: ${layer.tileUrl}\n`);
      if (!running) io.stderr.write('  no engine is running: start one with "udf-studio serve" for QGIS to load the tiles\n');
      const opened = values['no-open'] ? { opened: false, notOpened: null } : await openInQgis(layer.file, io.env);
      if (opened.opened) io.stderr.write('opened it in QGIS\n');
      else io.stderr.write(`${opened.notOpened ? `not opened: ${opened.notOpened}\n` : ''}${QGIS_HOW_TO_OPEN}\n`);
      return 0;
    } finally {
      await engine.close();
    }
  },
};
