/**
 * The offline basemap: land, coastlines, borders and place names drawn on canvas tiles from
 * world-basemap.json (built by scripts/build-basemap.js). The data is a static asset fetched on
 * first use, so the window starts without it.
 *
 * Labels are placed once per zoom for the whole world (largest places first, skipping any that
 * would overlap one already placed), so a label across a tile edge is drawn the same in both tiles.
 */

import L from 'leaflet';
import { edgeLabels, type Box } from './nearest-places.js';
import { tileOutline } from './tile-outline.js';
import basemapUrl from './world-basemap.json?url';

interface BasemapFile {
  scale: number;
  attribution: string;
  land: number[][][];
  borders: number[][];
  places: Array<[number, number, number, string]>;
}

/** A line or ring in Web Mercator units of the world's width (0..1), with its box. */
interface Path {
  xy: Float64Array;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

interface Place {
  x: number;
  y: number;
  lon: number;
  lat: number;
  population: number;
  name: string;
}

interface PlacedLabel {
  place: Place;
  /** The label's box in world pixels at that zoom. */
  box: [number, number, number, number];
}

interface Basemap {
  attribution: string;
  land: Path[][];
  borders: Path[];
  places: Place[];
}

const TILE = 256;
export type BasemapTheme = 'light' | 'dark';

/** The colours the bundled basemap is drawn in, for the window's light and dark themes. */
const PALETTES: Record<BasemapTheme, { water: string; land: string; coast: string; border: string; dot: string; halo: string; label: string }> = {
  light: { water: '#cfdfeb', land: '#f4f2ec', coast: '#8ea6b8', border: '#9d8fb3', dot: '#374151', halo: 'rgba(255, 255, 255, 0.9)', label: '#1f2937' },
  dark: { water: '#0e1a26', land: '#1e232b', coast: '#3f5668', border: '#7a6c96', dot: '#cbd5e1', halo: 'rgba(14, 26, 38, 0.9)', label: '#e2e8f0' },
};

/** The sea's colour, which also fills the map before any tile has drawn. */
export function waterColour(theme: BasemapTheme): string {
  return PALETTES[theme].water;
}
const LABEL_FONT = '12px system-ui, sans-serif';
const CAPITAL_FONT = '600 12.5px system-ui, sans-serif';
/** How far beyond a tile a place's label can reach and still show in it. */
const LABEL_REACH = 160;

let loading: Promise<Basemap> | null = null;

/** The decoded basemap, loaded once. */
export function loadBasemap(): Promise<Basemap> {
  loading ??= fetch(basemapUrl).then(async (response) => {
    if (!response.ok) throw new Error(`the offline basemap did not load: HTTP ${response.status}`);
    return decode((await response.json()) as BasemapFile);
  });
  // A failed load is tried again by the next tile.
  loading.catch(() => (loading = null));
  return loading;
}

function decode(file: BasemapFile): Basemap {
  const path = (encoded: number[]): Path => {
    const xy = new Float64Array(encoded.length);
    let lon = 0;
    let lat = 0;
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    for (let index = 0; index < encoded.length; index += 2) {
      lon += encoded[index] as number;
      lat += encoded[index + 1] as number;
      const [x, y] = mercator(lon / file.scale, lat / file.scale);
      xy[index] = x;
      xy[index + 1] = y;
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    return { xy, minX, minY, maxX, maxY };
  };
  return {
    attribution: file.attribution,
    land: file.land.map((polygon) => polygon.map(path)),
    borders: file.borders.map(path),
    places: file.places.map(([lon, lat, population, name]) => {
      const [x, y] = mercator(lon, lat);
      return { x, y, lon, lat, population, name };
    }),
  };
}

/** Web Mercator, as fractions of the world's width from the top-left corner. */
function mercator(lon: number, lat: number): [number, number] {
  const clamped = Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(clamped) + 1 / Math.cos(clamped)) / Math.PI) / 2];
}

/** The smallest population labelled at a zoom: the world's big cities first, every town near. */
function minPopulation(zoom: number): number {
  if (zoom <= 2) return 5_000_000;
  if (zoom <= 3) return 2_000_000;
  if (zoom <= 4) return 800_000;
  if (zoom <= 5) return 300_000;
  if (zoom <= 6) return 120_000;
  if (zoom <= 7) return 60_000;
  return 0;
}

/** From this zoom up, the nearest places out of view are named at the map's edge (nearest-places.ts). */
const EDGE_LABELS_FROM_ZOOM = 9;

export class BundledBasemap extends L.GridLayer {
  private data: Basemap | null = null;
  /** The edge labels' layer, above the tiles and below the map's controls. */
  private edge: HTMLDivElement | null = null;
  private readonly onMove = (): void => this.placeEdgeLabels();

  constructor(options: L.GridLayerOptions = {}, private theme: BasemapTheme = 'light') {
    super({ tileSize: TILE, className: 'bundled-basemap', ...options });
  }

  override onAdd(map: L.Map): this {
    super.onAdd(map);
    this.edge = L.DomUtil.create('div', 'nearest-places', map.getContainer());
    this.edge.dataset.testid = 'nearest-places';
    map.on('moveend resize', this.onMove);
    void loadBasemap().then((data) => {
      this.data = data;
      this.placeEdgeLabels();
    }, () => undefined);
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('moveend resize', this.onMove);
    this.edge?.remove();
    this.edge = null;
    return super.onRemove(map);
  }

  /** Where the map's buttons, panels and status line cover it, in the map's pixels. */
  private coveredEdges(container: HTMLElement): Box[] {
    const origin = container.getBoundingClientRect();
    const frame = container.parentElement ?? container;
    return [...frame.querySelectorAll('.leaflet-control, .layer-panel, .map-toolbar, .map-status')].map((element) => {
      const box = element.getBoundingClientRect();
      return { left: box.left - origin.left, top: box.top - origin.top, right: box.right - origin.left, bottom: box.bottom - origin.top };
    }).filter((box) => box.right > box.left && box.bottom > box.top);
  }

  private placeEdgeLabels(): void {
    const map = this._map as L.Map | undefined;
    if (!map || !this.edge || !this.data) return;
    const size = map.getSize();
    const center = map.getCenter();
    const labels = map.getZoom() < EDGE_LABELS_FROM_ZOOM ? [] : edgeLabels(this.data.places, {
      width: size.x,
      height: size.y,
      center: { lon: center.lng, lat: center.lat },
      pixelOf: (place) => map.latLngToContainerPoint([place.lat, place.lon]),
      avoid: this.coveredEdges(map.getContainer()),
    });
    this.edge.replaceChildren(...labels.map((label) => {
      const chip = L.DomUtil.create('span', `nearest-place edge-${label.edge}`);
      chip.textContent = label.text;
      chip.style.left = `${label.x}px`;
      chip.style.top = `${label.y}px`;
      return chip;
    }));
  }

  /** Draws the tiles again in the theme's colours. */
  setTheme(theme: BasemapTheme): void {
    if (theme === this.theme) return;
    this.theme = theme;
    this.redraw();
  }

  override createTile(coords: L.Coords, done: L.DoneCallback): HTMLElement {
    const canvas = document.createElement('canvas');
    canvas.width = TILE;
    canvas.height = TILE;
    void loadBasemap().then((data) => {
      this.data = data;
      this.draw(canvas, coords);
      done(undefined, canvas);
    }, (error: unknown) => done(error as Error, canvas));
    return canvas;
  }

  private draw(canvas: HTMLCanvasElement, coords: L.Coords): void {
    const data = this.data as Basemap;
    const context = canvas.getContext('2d') as CanvasRenderingContext2D;
    const world = TILE * 2 ** coords.z;
    // Tiles repeat across the antimeridian: wrap x into the world.
    const wrappedX = ((coords.x % 2 ** coords.z) + 2 ** coords.z) % 2 ** coords.z;
    const left = wrappedX * TILE;
    const top = coords.y * TILE;
    const inTile = (path: Path, margin: number): boolean =>
      path.maxX * world >= left - margin && path.minX * world <= left + TILE + margin && path.maxY * world >= top - margin && path.minY * world <= top + TILE + margin;
    const trace = (path: Path, close: boolean): void => {
      const kept = tileOutline(path.xy, world, left, top, TILE);
      for (let index = 0; index < kept.length; index += 2) {
        if (index === 0) context.moveTo(kept[0] as number, kept[1] as number);
        else context.lineTo(kept[index] as number, kept[index + 1] as number);
      }
      if (close) context.closePath();
    };

    const colours = PALETTES[this.theme];
    context.fillStyle = colours.water;
    context.fillRect(0, 0, TILE, TILE);
    context.fillStyle = colours.land;
    context.strokeStyle = colours.coast;
    context.lineWidth = coords.z >= 8 ? 1.2 : 0.8;
    for (const polygon of data.land) {
      if (!polygon[0] || !inTile(polygon[0], 2)) continue;
      context.beginPath();
      for (const ring of polygon) trace(ring, true);
      context.fill('evenodd');
      context.stroke();
    }
    context.strokeStyle = colours.border;
    context.lineWidth = coords.z >= 6 ? 1.4 : 0.9;
    context.setLineDash([5, 3]);
    context.beginPath();
    for (const border of data.borders) if (inTile(border, 2)) trace(border, false);
    context.stroke();
    context.setLineDash([]);

    for (const { place, box } of labelsAt(data, coords.z)) {
      if (box[2] < left || box[0] > left + TILE || box[3] < top || box[1] > top + TILE) continue;
      const x = place.x * world - left;
      const y = place.y * world - top;
      context.fillStyle = colours.dot;
      context.beginPath();
      context.arc(x, y, place.population >= 1_000_000 ? 3 : 2.2, 0, Math.PI * 2);
      context.fill();
      context.font = place.population >= 1_000_000 ? CAPITAL_FONT : LABEL_FONT;
      context.lineWidth = 3;
      context.strokeStyle = colours.halo;
      context.strokeText(place.name, x + 5, y + 4);
      context.fillStyle = colours.label;
      context.fillText(place.name, x + 5, y + 4);
    }
  }

}

/**
 * The labels placed at each zoom, shared by every map: the basemap is the same for all, and each
 * UDF page opens a map of its own. From zoom 8 every place (tens of thousands) is a candidate.
 */
const placedByZoom = new Map<number, PlacedLabel[]>();

/** The labels placed at a zoom: biggest places first, none overlapping another. */
function labelsAt(data: Basemap, zoom: number): PlacedLabel[] {
  const known = placedByZoom.get(zoom);
  if (known) return known;
  const world = TILE * 2 ** zoom;
  const floor = minPopulation(zoom);
  const cell = 128;
  const grid = new Map<string, Array<[number, number, number, number]>>();
  const placed: PlacedLabel[] = [];
  for (const place of data.places) {
    if (place.population < floor) break;
    const width = Math.min(LABEL_REACH - 10, textWidth(place.name, place.population >= 1_000_000 ? CAPITAL_FONT : LABEL_FONT));
    const x = place.x * world;
    const y = place.y * world;
    const box: [number, number, number, number] = [x - 4, y - 9, x + 8 + width, y + 8];
    const keys: string[] = [];
    for (let cx = Math.floor(box[0] / cell); cx <= Math.floor(box[2] / cell); cx++) {
      for (let cy = Math.floor(box[1] / cell); cy <= Math.floor(box[3] / cell); cy++) keys.push(`${cx}:${cy}`);
    }
    const overlaps = keys.some((key) => (grid.get(key) ?? []).some((other) => box[0] < other[2] && box[2] > other[0] && box[1] < other[3] && box[3] > other[1]));
    if (overlaps) continue;
    for (const key of keys) {
      const boxes = grid.get(key);
      if (boxes) boxes.push(box);
      else grid.set(key, [box]);
    }
    placed.push({ place, box });
  }
  placedByZoom.set(zoom, placed);
  return placed;
}

let measuring: CanvasRenderingContext2D | null = null;
/** Character widths by font, each measured once. */
const charWidths = new Map<string, Map<string, number>>();

/**
 * A label's width as the sum of its characters' widths: close enough to place labels apart, and
 * measuring every name whole took canvas about 300 ms at the zooms that label every town.
 */
function textWidth(text: string, font: string): number {
  let widths = charWidths.get(font);
  if (!widths) charWidths.set(font, (widths = new Map<string, number>()));
  let total = 0;
  for (const char of text) {
    let width = widths.get(char);
    if (width === undefined) {
      measuring ??= document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
      measuring.font = font;
      width = measuring.measureText(char).width;
      widths.set(char, width);
    }
    total += width;
  }
  return total;
}
