import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resourcePaths } from '../../src-main/engine/resources.js';
import { runCli } from '../helpers/cli.js';
import { makeTestHome, metaJson, type TestHome } from '../helpers/test-home.js';

let home: TestHome;
let workspace: string;
/** A stand-in for QGIS: a real program that records the file it was asked to open. */
let fakeQgis: string;
let opened: string;
/** An environment where no QGIS can be found: PATH holds an empty folder. */
let noQgis: NodeJS.ProcessEnv;

beforeAll(() => {
  home = makeTestHome();
  workspace = join(home.root, 'ws');
  mkdirSync(workspace, { recursive: true });
  for (const name of ['Tile_Grid', 'Hello_World']) cpSync(join(resourcePaths().exampleUdfs, name), join(workspace, name), { recursive: true });
  opened = join(home.root, 'opened.txt');
  fakeQgis = home.write({ 'bin/qgis': `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n` });
  chmodSync(fakeQgis, 0o755);
  home.write({
    'ws/Squares/meta.json': metaJson('Squares', { metadata: { 'fused:udfType': 'vector_tile' } }),
    'ws/Squares/Squares.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None, n: int = 2):
    import geopandas as gpd
    import shapely
    w, s, e, n_ = bounds
    return gpd.GeoDataFrame({"size": [1.0]}, geometry=[shapely.box(w, s, e, n_)], crs="EPSG:4326")
`,
  });
  mkdirSync(join(home.root, 'empty-bin'));
  noQgis = { ...home.env, PATH: join(home.root, 'empty-bin') };
  delete noQgis.UDF_STUDIO_QGIS;
});

afterAll(() => home?.remove());

const qgis = (args: string[], env: NodeJS.ProcessEnv = { ...home.env, UDF_STUDIO_QGIS: '' }) => runCli(['qgis', ...args, '--workspace', workspace], env);

async function tokens(): Promise<Array<{ token: string; udf_slug: string; metadata_json: Record<string, unknown> }>> {
  return JSON.parse((await runCli(['token', 'list', '--json'], home.env)).stdout.toString()) as Array<{ token: string; udf_slug: string; metadata_json: Record<string, unknown> }>;
}

describe('udf-studio qgis', () => {
  it('writes the layer file where --out says, prints its path, and names the token and the tile URL', async () => {
    const out = join(home.root, 'layers', 'grid.qlr');
    mkdirSync(dirname(out), { recursive: true });
    const result = await qgis(['Tile_Grid', '--param', 'cells=8', '--out', out, '--no-open']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toBe(`${out}\n`);
    const token = /token: (fsh_[\w-]+)/.exec(result.stderr)?.[1] as string;
    expect(result.stderr).toContain(`tiles: http://127.0.0.1:8765/${token}/run/tiles/{z}/{x}/{y}.mvt?cells=8`);
    expect(result.stderr).toContain('no engine is running: start one with "udf-studio serve"');
    expect(result.stderr).toContain('Layer > Add Layer > Add from Layer Definition File');
    expect(readFileSync(out, 'utf8')).toContain(`/${token}/run/tiles/%7Bz%7D/%7Bx%7D/%7By%7D.mvt?cells%3D8`);
    expect(await tokens()).toContainEqual(expect.objectContaining({ token, udf_slug: 'Tile_Grid', metadata_json: { created_by: 'open in qgis' } }));
  });

  it('opens the file in QGIS when UDF_STUDIO_QGIS names one, writing to the home\'s qgis/ by default', async () => {
    const result = await qgis(['Squares'], { ...home.env, UDF_STUDIO_QGIS: fakeQgis });
    expect(result.code, result.stderr).toBe(0);
    const file = join(home.root, 'qgis', 'Squares.qlr');
    expect(result.stdout.toString()).toBe(`${file}\n`);
    expect(result.stderr).toContain('opened it in QGIS');
    await expect.poll(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : '')).toBe(file);
  });

  it('says how to open the file when QGIS is not installed', async () => {
    const result = await qgis(['Squares'], noQgis);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('not opened: QGIS is not installed here (no qgis program on PATH)');
    expect(result.stderr).toContain('or drag the file onto the map');
  });

  it('refuses bad input with a clear error, writing nothing and keeping no token', async () => {
    const before = (await tokens()).length;
    const missingDir = join(home.root, 'no-such-dir', 'x.qlr');
    const underFile = join(fakeQgis, 'x.qlr');
    const refused: Array<[string[], number, string]> = [
      [['Nope'], 1, 'no UDF named "Nope"'],
      [['Hello_World'], 2, 'Hello_World is not a tile UDF'],
      [['Squares', '--param', 'n=many'], 1, 'UDF_ERR_PARAM'],
      [['Squares', '--param', 'colour=red'], 1, 'UDF_ERR_UNKNOWN_PARAM'],
      [['Squares', '--param', 'n'], 2, '--param takes NAME=VALUE'],
      [['Squares', '--color-by', 'height'], 2, 'no column "height" to colour by (columns at the default view: size)'],
      [['Squares', '--out', join(home.root, 'x.txt')], 2, 'a QGIS layer file must end in .qlr'],
      [['Squares', '--out', missingDir], 1, `cannot write the layer file ${missingDir}: ENOENT`],
      [['Squares', '--out', underFile], 1, `cannot write the layer file ${underFile}: ENOTDIR`],
      [[], 2, 'qgis needs the NAME of a tile UDF'],
    ];
    for (const [args, code, message] of refused) {
      const result = await qgis(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(message);
    }
    expect(existsSync(dirname(missingDir))).toBe(false);
    expect(readdirSync(home.root).filter((name) => name.endsWith('.qlr') || name.endsWith('.tmp'))).toEqual([]);
    expect(await tokens()).toHaveLength(before);
  });
});
