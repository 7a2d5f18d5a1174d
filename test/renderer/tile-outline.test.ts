import { describe, expect, it } from 'vitest';
import { tileOutline } from '../../src-renderer/src/map/tile-outline.js';

const SIZE = 256;

/** Even-odd containment of a point in a closed path of x, y pairs. */
function inside(points: readonly number[], x: number, y: number): boolean {
  let odd = false;
  for (let index = 0, previous = points.length - 2; index < points.length; previous = index, index += 2) {
    const [xi, yi, xj, yj] = [points[index] as number, points[index + 1] as number, points[previous] as number, points[previous + 1] as number];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

/** A deterministic pseudo-random generator (so a failure can be replayed). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('the vertices of a path worth drawing into one tile', () => {
  it('draws a run beyond one side as its first and last vertex, and keeps what is on the tile', () => {
    const path = [-50, 10, -60, 100, -70, 200, -55, 250, 100, 100, 120, 130];
    expect(tileOutline(path, 1, 0, 0, SIZE)).toEqual([-50, 10, -55, 250, 100, 100, 120, 130]);
  });

  it('keeps a segment between two points beyond different sides, which may cross the tile', () => {
    const path = [-50, 128, 400, 128, 400, -30];
    expect(tileOutline(path, 1, 0, 0, SIZE)).toEqual(path);
  });

  it('takes points to the tile\'s pixels by scale and offset', () => {
    expect(tileOutline([0.5, 0.5, 0.6, 0.6], 1024, 384, 384, SIZE)).toEqual([128, 128, 230.39999999999998, 230.39999999999998]);
  });

  it('leaves every point of the tile inside or outside as it was, for random outlines around it', () => {
    const next = random(7);
    for (let shape = 0; shape < 200; shape++) {
      // Outlines wandering over an area nine tiles wide, most of their vertices far off the tile.
      const path: number[] = [];
      let [x, y] = [next() * 3 * SIZE - SIZE, next() * 3 * SIZE - SIZE];
      for (let vertex = 0; vertex < 300; vertex++) {
        x = Math.min(2 * SIZE, Math.max(-SIZE, x + (next() - 0.5) * 120));
        y = Math.min(2 * SIZE, Math.max(-SIZE, y + (next() - 0.5) * 120));
        path.push(x, y);
      }
      const kept = tileOutline(path, 1, 0, 0, SIZE);
      expect(kept.length).toBeLessThanOrEqual(path.length);
      for (let probe = 0; probe < 200; probe++) {
        const [px, py] = [next() * SIZE, next() * SIZE];
        // Points within half a pixel of a dropped near-duplicate vertex may differ; none are that close here.
        expect(inside(kept, px, py), `shape ${shape}, point ${px}, ${py}`).toBe(inside(path, px, py));
      }
    }
  });

  it('drops most of a continent-sized outline that lies off the tile', () => {
    const path: number[] = [];
    for (let step = 0; step < 10_000; step++) {
      const angle = (step / 10_000) * 2 * Math.PI;
      path.push(128 + 5_000 * Math.cos(angle), 128 + 5_000 * Math.sin(angle));
    }
    expect(tileOutline(path, 1, 0, 0, SIZE).length).toBeLessThan(40);
  });
});
