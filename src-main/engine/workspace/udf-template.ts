/**
 * Writes a new UDF folder from a template (`udf-studio new NAME`).
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { UDF_NAME_PATTERN } from '../../../src-shared/udf.js';

export { UDF_NAME_PATTERN };

export type TemplateKind = 'table' | 'tile';

/** Creates `<parent>/<name>/` with meta.json, `<name>.py` and README.md; returns the folder's path. */
export function writeUdfFromTemplate(parent: string, name: string, kind: TemplateKind = 'table'): string {
  if (!UDF_NAME_PATTERN.test(name)) {
    throw udfError('UDF_ERR_USAGE', `"${name}" is not a usable UDF name: start with a letter, then letters, digits, _ or - (at most 100)`);
  }
  const dir = resolve(parent, name);
  if (existsSync(dir)) throw udfError('UDF_ERR_USAGE', `${dir} already exists`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.py`), kind === 'tile' ? tileCode() : tableCode());
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(metaJson(name, kind), null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), readme(name, kind));
  return dir;
}

function tableCode(): string {
  return `@fused.udf
def udf(name: str = "world", n: int = 3):
    import pandas as pd

    return pd.DataFrame({"greeting": [f"hello {name}"] * n, "i": range(n)})
`;
}

function tileCode(): string {
  return `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import geopandas as gpd
    import shapely

    west, south, east, north = bounds
    cell = shapely.box(west, south, east, north).buffer(-(east - west) / 8)
    return gpd.GeoDataFrame({"label": ["tile"]}, geometry=[cell], crs="EPSG:4326")
`;
}

function metaJson(name: string, kind: TemplateKind): Record<string, unknown> {
  const parameters = kind === 'table'
    ? [{ parameter: 'name', value: 'world', type: 'str', suggestedValues: [] }, { parameter: 'n', value: 3, type: 'int', suggestedValues: [] }]
    : [];
  return {
    version: '0.0.3',
    job_config: {
      version: '0.0.3', name: null, metadata: null,
      steps: [{
        type: 'udf',
        udf: {
          type: 'geopandas_v2', name, entrypoint: 'udf', parameters: {}, source: `${name}.py`, headers: [],
          metadata: {
            'fused:name': name, 'fused:slug': name,
            'fused:udfType': kind === 'tile' ? 'vector_tile' : 'auto',
            'fused:description': `# ${name}\n`,
            'fused:defaultViewState': { enable: true, latitude: 48.8566, longitude: 2.3522, zoom: 11, pitch: 0, bearing: 0 },
            'fused:defaultParameters': parameters,
            'fused:tags': [],
            'fused:id': null,
          },
        },
      }],
    },
  };
}

function readme(name: string, kind: TemplateKind): string {
  const call = kind === 'tile' ? `udf-studio run ${name} --z 11 --x 1037 --y 704` : `udf-studio run ${name} --param name=Ada`;
  return `# ${name}\n\nA new UDF. Edit \`${name}.py\`, then run it:\n\n\`\`\`\n${call}\n\`\`\`\n`;
}
