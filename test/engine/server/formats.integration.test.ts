import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { runtimePython } from '../../../src-main/engine/runtime/python-env.js';
import { metaJson, RUNTIME_DIR, type TestHome } from '../../helpers/test-home.js';
import { request, serverForFile } from '../../helpers/server.js';

// Every format is fetched over HTTP and decoded by a real reader in the runtime's Python.
// Arrow reads from the path: pyarrow 23 reading a Python file object leaves pool threads that
// abort the interpreter at exit about half the time (apache/arrow#50482 and #34314).
const DECODE = `
import io, json, sys
path, fmt = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
def rows(df): return {"rows": len(df), "columns": [str(c) for c in df.columns]}
if fmt == "parquet":
    import pyarrow.parquet as pq; out = rows(pq.read_table(path).to_pandas())
elif fmt == "feather":
    import pyarrow.feather as pf; out = rows(pf.read_table(path).to_pandas())
elif fmt == "geojson":
    import geopandas as gpd; out = rows(gpd.read_file(io.BytesIO(data)))
elif fmt == "json":
    value = json.loads(data); out = {"rows": len(value.get("features", value))}
elif fmt == "csv":
    import pandas as pd; out = rows(pd.read_csv(io.BytesIO(data)))
elif fmt == "excel":
    import pandas as pd; out = rows(pd.read_excel(io.BytesIO(data)))
elif fmt == "xml":
    import xml.etree.ElementTree as ET; out = {"rows": len(list(ET.fromstring(data)))}
elif fmt == "html":
    import pandas as pd; out = {"rows": data.decode().count("<tr") - 1}
elif fmt == "mvt":
    import mapbox_vector_tile as m; layer = m.decode(data)["udf"]; out = {"rows": len(layer["features"]), "extent": layer["extent"]}
elif fmt == "npy":
    import numpy as np; a = np.load(io.BytesIO(data)); out = {"shape": list(a.shape), "dtype": str(a.dtype)}
elif fmt == "tiff":
    import rasterio; ds = rasterio.open(io.BytesIO(data)); out = {"shape": [ds.count, ds.height, ds.width], "crs": str(ds.crs)}
else:
    from PIL import Image; im = Image.open(io.BytesIO(data)); out = {"format": im.format, "size": list(im.size)}
print(json.dumps(out))
`;

let home: TestHome;
let server: EngineServer;
let vector: string;
let raster: string;

serverForFile((started) => ({ home, server } = started), { poolSize: 2, prepare });

/** A vector UDF (Places) and a raster one (Image). */
function prepare(home: TestHome): void {
  home.write({
    'ws/Places/meta.json': metaJson('Places'),
    'ws/Places/Places.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None, n: int = 3):
    import geopandas as gpd
    import shapely
    w, s, e, north = bounds or (2.2, 48.8, 2.4, 48.9)
    fractions = [(i + 1) / (n + 1) for i in range(n)]
    points = [shapely.Point(w + (e - w) * f, s + (north - s) * f) for f in fractions]
    return gpd.GeoDataFrame({"name": [f"p{i}" for i in range(n)], "value": [i + 0.5 for i in range(n)]}, geometry=points, crs="EPSG:4326")
`,
    'ws/Image/meta.json': metaJson('Image'),
    'ws/Image/Image.py': `@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import numpy as np
    return np.linspace(0.0, 1.0, 3 * 256 * 256).reshape(3, 256, 256)
`,
  });
}

beforeAll(() => {
  vector = server.services.tokens.create({ udfSlug: 'Places' }).token;
  raster = server.services.tokens.create({ udfSlug: 'Image' }).token;
});

async function decode(body: Buffer, format: string): Promise<Record<string, unknown>> {
  const file = join(home.root, `body.${format}`);
  writeFileSync(file, body);
  const { stdout } = await promisify(execFile)(runtimePython(RUNTIME_DIR), ['-c', DECODE, file, format]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('every format over HTTP, decoded by a real reader', () => {
  it.each([
    ['parquet', 'application/vnd.apache.parquet', { rows: 3 }],
    ['feather', 'application/vnd.apache.arrow.file', { rows: 3 }],
    ['geojson', 'application/geo+json', { rows: 3 }],
    ['json', 'application/json', { rows: 3 }],
    ['csv', 'text/csv; charset=utf-8', { rows: 3 }],
    ['excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', { rows: 3 }],
    ['xml', 'application/xml', { rows: 3 }],
    ['html', 'text/html; charset=utf-8', { rows: 3 }],
  ])('vector %s', async (format, contentType, expected) => {
    const result = await request(server.url, `/${vector}/run/file?format=${format}`);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe(contentType);
    expect(await decode(result.body, format)).toMatchObject(expected);
  });

  it('vector mvt on a tile URL, by extension', async () => {
    const result = await request(server.url, `/${vector}/run/tiles/12/2074/1409.mvt`);
    expect(result.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    expect(await decode(result.body, 'mvt')).toEqual({ rows: 3, extent: 4096 });
  });

  it('gzips vector tiles for clients that accept it', async () => {
    const result = await request(server.url, `/${vector}/run/tiles/4/8/5.mvt?n=400`, { headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(result.status).toBe(200);
    expect(result.headers['content-encoding']).toBe('gzip');
    expect(await decode(gunzipSync(result.body), 'mvt')).toEqual({ rows: 400, extent: 4096 });
  });

  it('tables default to parquet, images to png', async () => {
    expect((await request(server.url, `/${vector}/run/file`)).headers['content-type']).toBe('application/vnd.apache.parquet');
    expect((await request(server.url, `/${raster}/run/tiles/3/1/2`)).headers['content-type']).toBe('image/png');
  });

  it.each([
    ['png', 'image/png', { format: 'PNG', size: [256, 256] }],
    ['gif', 'image/gif', { format: 'GIF', size: [256, 256] }],
    ['jpg', 'image/jpeg', { format: 'JPEG', size: [256, 256] }],
    ['jpeg', 'image/jpeg', { format: 'JPEG', size: [256, 256] }],
    ['webp', 'image/webp', { format: 'WEBP', size: [256, 256] }],
    ['tif', 'image/tiff', { shape: [3, 256, 256], crs: 'EPSG:3857' }],
    ['tiff', 'image/tiff', { shape: [3, 256, 256], crs: 'EPSG:3857' }],
    ['npy', 'application/x-numpy-data', { shape: [3, 256, 256], dtype: 'float64' }],
  ])('raster %s', async (extension, contentType, expected) => {
    const result = await request(server.url, `/${raster}/run/tiles/3/1/2.${extension}`);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe(contentType);
    const format = extension === 'jpg' ? 'jpeg' : extension === 'tif' ? 'tiff' : extension;
    expect(await decode(result.body, format)).toEqual(expected);
  });

  it('accepts the older dtype_out_vector / dtype_out_raster names', async () => {
    const both = 'dtype_out_vector=csv&dtype_out_raster=webp';
    expect((await request(server.url, `/${vector}/run/file?${both}`)).headers['content-type']).toBe('text/csv; charset=utf-8');
    expect((await request(server.url, `/${raster}/run/tiles/3/1/2?${both}`)).headers['content-type']).toBe('image/webp');
  });

  it('says mvt needs a tile on a file URL', async () => {
    const result = await request(server.url, `/${vector}/run/file?format=mvt`);
    expect(result.status).toBe(406);
    expect((result.json() as { error: { message: string } }).error.message).toMatch(/tile/);
  });
});
