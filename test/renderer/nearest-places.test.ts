import { describe, expect, it } from 'vitest';
import { arrowFor, distanceKm, EDGE_INSET, edgeLabels, formatKm, type PlacePoint, type View } from '../../src-renderer/src/map/nearest-places.js';

/** A 600 x 400 px view at the Eiffel Tower, 10 m a pixel (about zoom 14), north up. */
function view(width = 600, height = 400): View {
  const center = { lon: 2.2945, lat: 48.8584 };
  const metresPerPixel = 10;
  const mPerDegLat = 111_320;
  const mPerDegLon = mPerDegLat * Math.cos(center.lat * Math.PI / 180);
  return {
    width, height, center,
    pixelOf: (place) => ({
      x: width / 2 + ((place.lon - center.lon) * mPerDegLon) / metresPerPixel,
      y: height / 2 - ((place.lat - center.lat) * mPerDegLat) / metresPerPixel,
    }),
  };
}

const PARIS: PlacePoint = { name: 'Paris', lon: 2.3488, lat: 48.85341, population: 2_138_551 };
const BOULOGNE: PlacePoint = { name: 'Boulogne-Billancourt', lon: 2.24128, lat: 48.83545, population: 108_782 };
const LEVALLOIS: PlacePoint = { name: 'Levallois-Perret', lon: 2.28864, lat: 48.89389, population: 62_178 };
const VANVES: PlacePoint = { name: 'Vanves', lon: 2.29025, lat: 48.82345, population: 26_068 };
const ROUEN: PlacePoint = { name: 'Rouen', lon: 1.09932, lat: 49.44313, population: 112_787 };
const BERLIN: PlacePoint = { name: 'Berlin', lon: 13.41053, lat: 52.52437, population: 3_426_354 };

describe('naming the nearest places at the map\'s edge', () => {
  it('measures great-circle distances and writes them short', () => {
    expect(distanceKm(view().center, PARIS)).toBeCloseTo(4.0, 0);
    expect(distanceKm(PARIS, BERLIN)).toBeGreaterThan(870);
    expect(distanceKm(PARIS, BERLIN)).toBeLessThan(890);
    expect(formatKm(4.04)).toBe('4.0 km');
    expect(formatKm(112.6)).toBe('113 km');
  });

  it('points the arrow the way the place lies on screen (y grows downwards)', () => {
    expect(arrowFor(10, 0)).toBe('→');
    expect(arrowFor(0, -10)).toBe('↑');
    expect(arrowFor(-10, 10)).toBe('↙');
    expect(arrowFor(10, -9)).toBe('↗');
  });

  it('names the nearest places out of view, a big city before a small place as near, on the edge facing each', () => {
    const labels = edgeLabels([VANVES, PARIS, BOULOGNE, LEVALLOIS, ROUEN, BERLIN], view());
    // Vanves (26,068 people) is nearer than Paris but named after it and the two larger suburbs around.
    expect(labels.map((label) => label.place.name)).toEqual(['Paris', 'Levallois-Perret', 'Boulogne-Billancourt']);
    const paris = labels.find((label) => label.place.name === 'Paris');
    expect(paris?.edge).toBe('right');
    expect(paris?.x).toBeCloseTo(600 - EDGE_INSET.right, 5);
    expect(paris?.text).toMatch(/^→ Paris · 4\.\d km$/);
    expect(labels.find((label) => label.place.name === 'Levallois-Perret')?.edge).toBe('top');
    expect(labels.find((label) => label.place.name === 'Boulogne-Billancourt')?.text).toMatch(/^↙ /);
    // Every label stays inside the view.
    for (const label of labels) {
      expect(label.x).toBeGreaterThanOrEqual(EDGE_INSET.left);
      expect(label.x).toBeLessThanOrEqual(600 - EDGE_INSET.right);
      expect(label.y).toBeGreaterThanOrEqual(EDGE_INSET.top);
      expect(label.y).toBeLessThanOrEqual(400 - EDGE_INSET.bottom);
    }
  });

  it('names none when enough places are in view, and none too far to matter', () => {
    const wide: View = { ...view(), pixelOf: () => ({ x: 300, y: 200 }) };
    expect(edgeLabels([PARIS, BOULOGNE, LEVALLOIS], wide)).toEqual([]);
    expect(edgeLabels([BERLIN], view())).toEqual([]);
    // One place in view: two more are named.
    const one: View = { ...view(), pixelOf: (place) => (place === PARIS ? { x: 300, y: 200 } : view().pixelOf(place)) };
    expect(edgeLabels([PARIS, BOULOGNE, LEVALLOIS, ROUEN], one).map((label) => label.place.name)).toEqual(['Levallois-Perret', 'Boulogne-Billancourt']);
  });

  it('slides a label along its edge out of what covers the map there', () => {
    // The layer panel in the top right corner, down to y = 250, covers where Paris's label would go.
    const panel = { left: 380, top: 10, right: 590, bottom: 250 };
    const [paris] = edgeLabels([PARIS], { ...view(), avoid: [panel] });
    expect(paris?.edge).toBe('right');
    expect(paris?.y).toBeGreaterThan(250);
    expect(paris?.y).toBeLessThanOrEqual(400 - EDGE_INSET.bottom);
  });

  it('moves a top label in from the edge when buttons fill the edge, and leaves out one with no room', () => {
    // Buttons along the whole top edge: Levallois-Perret's label (north) goes just under them.
    const bar = { left: 0, top: 0, right: 600, bottom: 40 };
    const [levallois] = edgeLabels([LEVALLOIS], { ...view(), avoid: [bar] });
    expect(levallois?.edge).toBe('top');
    expect(levallois?.y).toBeGreaterThanOrEqual(40);
    expect(levallois?.y).toBeLessThan(60);
    // The whole map covered: no label rather than a hidden one.
    expect(edgeLabels([LEVALLOIS], { ...view(), avoid: [{ left: 0, top: 0, right: 600, bottom: 400 }] })).toEqual([]);
  });

  it('moves labels on the same side apart, and keeps a view too small for labels empty', () => {
    const north1: PlacePoint = { name: 'North One', lon: 2.2945, lat: 48.90, population: 20_000 };
    const north2: PlacePoint = { name: 'North Two', lon: 2.2950, lat: 48.91, population: 20_000 };
    const [first, second] = edgeLabels([north1, north2], view());
    expect(first?.edge).toBe('top');
    expect(Math.abs((first?.y ?? 0) - (second?.y ?? 0))).toBeGreaterThanOrEqual(28);
    expect(edgeLabels([PARIS], view(20, 100))).toEqual([]);
  });
});
