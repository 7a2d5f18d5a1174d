import { describe, expect, it } from 'vitest';
import { UdfStudioError } from '../../src-shared/errors.js';
import { assertValidTile, parseTile, pointToTile, tileToBounds } from '../../src-shared/tiles.js';

describe('tile math', () => {
  it('gives the whole world for tile 0/0/0', () => {
    const [west, south, east, north] = tileToBounds({ x: 0, y: 0, z: 0 });
    expect(west).toBe(-180);
    expect(east).toBe(180);
    expect(north).toBeCloseTo(85.0511287798, 8);
    expect(south).toBeCloseTo(-85.0511287798, 8);
  });

  it('round-trips a point to the tile that contains it', () => {
    const tile = pointToTile(2.2945, 48.8584, 15);
    const [west, south, east, north] = tileToBounds(tile);
    expect(west).toBeLessThanOrEqual(2.2945);
    expect(east).toBeGreaterThan(2.2945);
    expect(south).toBeLessThanOrEqual(48.8584);
    expect(north).toBeGreaterThan(48.8584);
    expect(tile).toEqual({ x: 16592, y: 11272, z: 15 });
  });

  it.each([
    [{ x: 2, y: 0, z: 1 }, /below 2 at zoom 1/],
    [{ x: 0, y: -1, z: 1 }, /y must be a whole number/],
    [{ x: 0.5, y: 0, z: 1 }, /x must be a whole number/],
    [{ x: 0, y: 0, z: 31 }, /at most 30/],
  ])('refuses %o', (tile, message) => {
    expect(() => assertValidTile(tile)).toThrow(message);
  });

  it('parses text coordinates, all or none', () => {
    expect(parseTile(undefined, undefined, undefined)).toBeNull();
    expect(parseTile('1', '2', '3')).toEqual({ x: 1, y: 2, z: 3 });
    for (const [x, y, z] of [['1', undefined, '3'], ['a', '1', '1'], ['-1', '0', '1'], ['1e3', '0', '12'], ['0x1', '0', '1']] as const) {
      let caught: unknown;
      try {
        parseTile(x, y, z);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UdfStudioError);
      expect((caught as UdfStudioError).code).toBe('UDF_ERR_BAD_TILE');
    }
  });
});
