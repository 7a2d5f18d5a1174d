import { describe, expect, it } from 'vitest';
import { layerDefinition, qgisDataSource } from '../../../src-main/engine/qgis/layer-file.js';
import { vectorTileRenderer } from '../../../src-main/engine/qgis/vector-tile-style.js';
import { singleStyle, type FeatureStyle } from '../../../src-shared/feature-style.js';

const URL_WITH_QUERY = 'http://127.0.0.1:8765/fsh_abc/run/tiles/{z}/{x}/{y}.png?label=a%20b%26c%3Dd%25&n=2';

/** The parameters of a QGIS data source URI, decoded once as QGIS decodes them. */
function uriParameters(source: string): Record<string, string> {
  return Object.fromEntries(source.split('&').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), decodeURIComponent(pair.slice(at + 1))];
  }));
}

describe('qgisDataSource', () => {
  it('keeps the tile URL one parameter of the URI, whatever its query holds', () => {
    const source = qgisDataSource(URL_WITH_QUERY, 0, 22);
    expect(source).toBe('type=xyz&url=http://127.0.0.1:8765/fsh_abc/run/tiles/%7Bz%7D/%7Bx%7D/%7By%7D.png?label%3Da%2520b%2526c%253Dd%2525%26n%3D2&zmax=22&zmin=0');
    expect(uriParameters(source)).toEqual({ type: 'xyz', url: URL_WITH_QUERY, zmax: '22', zmin: '0' });
  });
});

describe('layerDefinition', () => {
  const base = { tileUrl: URL_WITH_QUERY, minZoom: 3, maxZoom: 14, abstract: 'tiles through <fsh_abc> & more' };

  it('writes a raster layer in QGIS\'s own shape: one layer tree entry and one map layer with the same id', () => {
    const xml = layerDefinition({ ...base, name: 'Raster_Gradient', kind: 'raster', style: null });
    const treeId = /<layer-tree-layer [^>]*id="([^"]+)"/.exec(xml)?.[1];
    expect(treeId).toMatch(/^Raster_Gradient_[0-9a-f_]{36}$/);
    expect(xml).toContain(`<id>${treeId}</id>`);
    expect(xml).toContain('providerKey="wms"');
    expect(xml).toContain('<maplayer type="raster"');
    expect(xml).toContain('<authid>EPSG:3857</authid>');
    expect(xml).toContain('&amp;zmax=14&amp;zmin=3</datasource>');
    expect(xml).toContain('<abstract>tiles through &lt;fsh_abc&gt; &amp; more</abstract>');
    expect(xml).toContain('<rasterrenderer type="singlebandcolordata"');
    expect(xml).not.toContain('<renderer');
  });

  it('writes a vector tile layer with its renderer, escaping names', () => {
    const xml = layerDefinition({ ...base, name: 'A<&>"B', kind: 'vector', style: null });
    expect(xml).toContain('<layername>A&lt;&amp;&gt;&quot;B</layername>');
    expect(xml).toMatch(/<layer-tree-layer name="A&lt;&amp;&gt;&quot;B" id="A____B_[0-9a-f_]{36}"/);
    expect(xml).toContain('providerKey="vectortile"');
    expect(xml).toContain('<maplayer type="vector-tile"');
    expect(xml).toContain('<renderer type="basic">');
  });
});

describe('vectorTileRenderer', () => {
  it('draws polygons, lines and points of the engine\'s MVT layer in one colour, as the map\'s default', () => {
    const xml = vectorTileRenderer(singleStyle());
    expect([...xml.matchAll(/<style name="(\w+)" layer="udf" geometry="(\d)"/g)].map((m) => [m[1], m[2]])).toEqual([['polygons', '2'], ['lines', '1'], ['points', '0']]);
    // Fill at the map's alpha (0.22 of 255), outlines and points opaque, no expressions.
    expect(xml).toContain('<Option name="color" value="29,78,216,56" type="QString"/>');
    expect(xml).toContain('<Option name="outline_color" value="29,78,216,255" type="QString"/>');
    expect(xml).toContain('<Option name="outline_width_unit" value="Pixel" type="QString"/>');
    expect(xml).not.toContain('expression" value');
  });

  it('leaves polygons unfilled when the style is not filled', () => {
    const xml = vectorTileRenderer({ ...singleStyle(), filled: false });
    expect(xml).toContain('<Option name="style" value="no" type="QString"/>');
  });

  it('quotes column names and categories inside the colour expressions', () => {
    const style: FeatureStyle = { kind: 'categorical', column: 'we"ird', categories: ["O'Brien", 'plain'], fillAlpha: 0.5, filled: true };
    const xml = vectorTileRenderer(style);
    // In the XML: "we""ird" and 'O''Brien', escaped as attribute text.
    expect(xml).toContain('to_string(&quot;we&quot;&quot;ird&quot;) = &apos;O&apos;&apos;Brien&apos;');
    expect(xml).toContain('<Option name="fillColor" type="Map"><Option name="active" value="true" type="bool"/>');
  });
});
