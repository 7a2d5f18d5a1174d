import { describe, expect, it } from 'vitest';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { checkRange, parseBbox, parseZoomRange, tileCount, tilesOf, zoomSpans } from '../../../src-main/engine/export/tile-range.js';

function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    return error instanceof UdfStudioError ? `${error.code}: ${error.message}` : String(error);
  }
  return 'no error';
}

describe('export areas', () => {
  it('counts the tiles of each zoom: the whole world is 4^z tiles', () => {
    const world = checkRange([-180, -85.0511, 180, 85.0511], 0, 3);
    expect(zoomSpans(world).map((span) => [span.z, span.maxX - span.minX + 1, span.maxY - span.minY + 1])).toEqual([[0, 1, 1], [1, 2, 2], [2, 4, 4], [3, 8, 8]]);
    expect(tileCount(world)).toBe(1 + 4 + 16 + 64);
  });

  it('an edge on a tile border takes no tile beyond it', () => {
    // The north-east quarter of the world at zoom 1 is exactly one tile.
    expect([...tilesOf(checkRange([0, 0, 180, 85.0511], 1, 1))]).toEqual([{ z: 1, x: 1, y: 0 }]);
    // A point-sized area still holds the tile it is in.
    expect([...tilesOf(checkRange([2.2945, 48.8584, 2.2946, 48.8585], 14, 14))]).toEqual([{ z: 14, x: 8296, y: 5636 }]);
  });

  it('lists tiles zoom by zoom, row by row', () => {
    const tiles = [...tilesOf(checkRange([2.25, 48.83, 2.4, 48.9], 12, 12))];
    expect(tiles).toEqual([
      { z: 12, x: 2073, y: 1408 }, { z: 12, x: 2074, y: 1408 }, { z: 12, x: 2075, y: 1408 },
      { z: 12, x: 2073, y: 1409 }, { z: 12, x: 2074, y: 1409 }, { z: 12, x: 2075, y: 1409 },
    ]);
  });

  it('parses W,S,E,N and MIN-MAX, and refuses what is not', () => {
    expect(parseBbox(' 2.25, 48.83 ,2.4,48.9')).toEqual([2.25, 48.83, 2.4, 48.9]);
    expect(parseZoomRange('10-14')).toEqual({ minZoom: 10, maxZoom: 14 });
    expect(parseZoomRange('12')).toEqual({ minZoom: 12, maxZoom: 12 });
    expect(codeOf(() => parseBbox('1,2,3'))).toMatch(/^UDF_ERR_EXPORT_AREA: the bounding box must be four numbers W,S,E,N/);
    expect(codeOf(() => parseBbox('a,b,c,d'))).toMatch(/^UDF_ERR_EXPORT_AREA/);
    expect(codeOf(() => parseZoomRange('10..14'))).toMatch(/^UDF_ERR_EXPORT_AREA: the zoom range must be MIN-MAX/);
    expect(codeOf(() => parseZoomRange('-3'))).toMatch(/^UDF_ERR_EXPORT_AREA/);
  });

  it.each([
    [[3, 0, 1, 1], 0, 1, /west \(3\) must be less than east \(1\)/],
    [[0, 1, 1, 0], 0, 1, /south \(1\) must be less than north \(0\)/],
    [[0, 0, 0, 1], 0, 1, /west \(0\) must be less than east \(0\)/],
    [[-181, 0, 1, 1], 0, 1, /west edge must be a longitude from -180 to 180, got -181/],
    [[0, -86, 1, 1], 0, 1, /south edge is at latitude -86, beyond ±85.0511/],
    [[0, 0, 1, 1], 0, 25, /maximum zoom must be a whole number from 0 to 24, got 25/],
    [[0, 0, 1, 1], 1.5, 2, /minimum zoom must be a whole number from 0 to 24, got 1.5/],
    [[0, 0, 1, 1], 5, 4, /minimum zoom \(5\) is above the maximum \(4\)/],
    [[0, 0, 1], 0, 1, /must be \[west, south, east, north\]/],
    [[0, 0, 1, Number.NaN], 0, 1, /four finite numbers/],
  ])('refuses bbox %j zooms %s-%s', (bbox, minZoom, maxZoom, message) => {
    expect(codeOf(() => checkRange(bbox, minZoom, maxZoom))).toMatch(new RegExp(`^UDF_ERR_EXPORT_AREA: .*${message.source}`));
  });
});
