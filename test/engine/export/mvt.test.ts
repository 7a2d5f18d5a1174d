import { describe, expect, it } from 'vitest';
import { mvtToGeoJson } from '../../../src-main/engine/export/mvt-geojson.js';
import { isEmptyMvt, LayerCollector } from '../../../src-main/engine/export/mvt-layers.js';

/** A protocol-buffer field: its key, then a varint or length-delimited value. */
function field(number: number, value: number[] | string): number[] {
  return typeof value === 'string' ? [number * 8 + 2, value.length, ...Buffer.from(value)] : [number * 8 + 2, value.length, ...value];
}

function varintField(number: number, value: number): number[] {
  return [number * 8, value];
}

/** A layer "udf" of one point feature at the tile's centre (extent 4096) with name="a" and n=7. */
function pointTile(): Uint8Array {
  // MoveTo(1) then zigzag(2048) twice: 2048 * 2 = 4096 as a two-byte varint.
  const geometry = [0x09, 0x80, 0x20, 0x80, 0x20];
  const feature = [...varintField(1, 5), ...field(2, [0, 0, 1, 1]), ...varintField(3, 1), ...field(4, geometry)];
  const layer = [...varintField(15, 2), ...field(1, 'udf'), ...field(2, feature), ...field(3, 'name'), ...field(3, 'n'), ...field(4, field(1, 'a')), ...field(4, varintField(4, 7))];
  return Uint8Array.from(field(3, layer));
}

describe('empty vector tiles', () => {
  it('a tile with no layers, or only layers without features, is empty; one feature is not', () => {
    const emptyLayer = [0x78, 0x02, ...field(1, 'udf')];
    const feature = field(4, [0x09, 0x02, 0x02]);
    expect(isEmptyMvt(new Uint8Array())).toBe(true);
    expect(isEmptyMvt(Uint8Array.from(field(3, emptyLayer)))).toBe(true);
    expect(isEmptyMvt(Uint8Array.from(field(3, [...emptyLayer, ...field(2, feature)])))).toBe(false);
    // Bytes that are not a vector tile are kept as they are.
    expect(isEmptyMvt(Uint8Array.from([0x0f, 0xff]))).toBe(false);
  });
});

describe('reading vector tiles', () => {
  it('collects the layers\' names and their fields\' types for vector_layers', () => {
    const layers = new LayerCollector();
    layers.add(pointTile());
    layers.add(Uint8Array.from([0xff]));
    expect(layers.result()).toEqual([{ id: 'udf', fields: { name: 'String', n: 'Number' } }]);
  });

  it('decodes features into GeoJSON in degrees, with their properties and layer', () => {
    const collection = mvtToGeoJson(pointTile(), { z: 1, x: 1, y: 0 });
    expect(collection.features).toHaveLength(1);
    const [feature] = collection.features;
    expect(feature).toMatchObject({ type: 'Feature', id: 5, properties: { layer: 'udf', name: 'a', n: 7 }, geometry: { type: 'Point' } });
    // The centre of tile 1/1/0 is (90, 66.51...).
    const [lon, lat] = feature?.geometry.coordinates as [number, number];
    expect(lon).toBeCloseTo(90, 9);
    expect(lat).toBeCloseTo(66.51326044311186, 9);
  });
});
