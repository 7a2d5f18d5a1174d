/**
 * `udf-studio new NAME [--tile] [--dir DIR]`
 */

import { homePaths } from '../engine/home.js';
import { writeUdfFromTemplate } from '../engine/workspace/udf-template.js';
import { UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { parseOptions, stringOption } from './options.js';

export const newCommand: Command = {
  name: 'new',
  summary: 'write a new UDF folder from a template',
  usage: `udf-studio new NAME [--tile] [--dir DIR]

Writes NAME/ with meta.json, NAME.py and README.md.
  --tile      a tile UDF (takes bounds, returns a GeoDataFrame) instead of a table UDF
  --dir DIR   where to write it (default: the workspace, ~/.udf-studio/udfs or $UDF_STUDIO_HOME/udfs)`,

  run(args, io) {
    const { values, positionals } = parseOptions(args, { tile: { type: 'boolean' }, dir: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('new needs exactly one NAME');
    const dir = writeUdfFromTemplate(stringOption(values, 'dir') ?? homePaths(io.env).udfs, positionals[0] as string, values.tile ? 'tile' : 'table');
    io.stdout.write(`created ${dir}\nrun it with: udf-studio run ${dir}\n`);
    return 0;
  },
};
