/**
 * A Leaflet layer of a UDF's tiles, whatever they are: each tile is fetched from the engine and
 * painted on a canvas, a PNG as an image and GeoJSON (a vector tile UDF) as drawn features.
 *
 * A tile that fails shows its error message; a tile in flight is marked as loading; a new code
 * version repaints the visible tiles in place (no blank flash), which is how a save shows.
 * A vector tile's features are kept with it, so a new style repaints without fetching and a click
 * finds the feature under the pointer.
 */

import L from 'leaflet';
import { tileUrl } from '../api/client.js';
import { sessionHeaders } from '../api/session-key.js';
import { reportTileError } from '../state/tile-errors.svelte.js';
import type { ErrorData } from '../../../src-shared/errors.js';
import { colorOf, css, sameStyle, singleStyle, type FeatureStyle } from './feature-style.js';

export interface TileStatus {
  loading: number;
  failed: number;
  /** The latest error message of a failed tile. */
  lastError: string | null;
}

export interface UdfTileLayerOptions extends L.GridLayerOptions {
  udf: string;
  version: string;
  params: Record<string, string>;
  onStatus?: (status: TileStatus) => void;
  style?: FeatureStyle;
  /** Where a tile comes from, when not the UDF's tile route (a workspace archive's tiles). */
  url?: (z: number, x: number, y: number) => string;
}

const TILE_SIZE = 256;
/** How near (in pixels) a click must be to a point or line to pick it. */
const PICK_DISTANCE = 5;

type Pixel = [number, number];
type ToPixel = (position: GeoJSON.Position) => Pixel;

interface LiveTile {
  el: HTMLElement;
  coords: L.Coords;
}

export class UdfTileLayer extends L.GridLayer {
  private version: string;
  private params: Record<string, string>;
  private readonly udf: string;
  private readonly url: UdfTileLayerOptions['url'];
  private readonly onStatus: ((status: TileStatus) => void) | undefined;
  private loading = 0;
  private readonly failedTiles = new Set<string>();
  private lastError: string | null = null;
  private style: FeatureStyle;
  /** Each painted vector tile's features, by tile key. */
  private readonly features = new Map<string, GeoJSON.Feature[]>();
  /** The tiles painted from an image, by key. */
  private readonly rasterTiles = new Set<string>();
  /** The latest paint asked of each tile: an answer to an older one is dropped. */
  private readonly latestPaint = new WeakMap<HTMLElement, number>();
  private paints = 0;

  constructor(options: UdfTileLayerOptions) {
    super({ tileSize: TILE_SIZE, updateWhenZooming: false, keepBuffer: 1, ...options });
    this.udf = options.udf;
    this.url = options.url;
    this.version = options.version;
    this.params = options.params;
    this.onStatus = options.onStatus;
    this.style = options.style ?? singleStyle();
    this.on('tileunload', (event: L.TileEvent) => {
      this.failedTiles.delete(this.keyOf(event.coords));
      this.features.delete(this.keyOf(event.coords));
      this.rasterTiles.delete(this.keyOf(event.coords));
      this.report();
    });
  }

  /** Repaints every visible tile for a new code version or new parameters, keeping the old pixels until the new arrive. */
  refresh(version: string, params: Record<string, string>): void {
    this.version = version;
    this.params = params;
    for (const tile of this.liveTiles()) void this.paint(tile.el, tile.coords);
  }

  /** Repaints the vector tiles with a new style from their kept features (no fetch); the same style again draws nothing. */
  setStyle(style: FeatureStyle): void {
    // Each save reads the UDF's vizConfig again, a new object with the same style.
    if (sameStyle(style, this.style)) return;
    this.style = style;
    for (const tile of this.liveTiles()) {
      const features = this.features.get(this.keyOf(tile.coords));
      if (!features) continue;
      const context = (tile.el.querySelector('canvas') as HTMLCanvasElement).getContext('2d') as CanvasRenderingContext2D;
      context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
      this.drawFeatures(context, tile.coords, features);
    }
  }

  /** Every feature of the vector tiles on the map now. */
  loadedFeatures(): GeoJSON.Feature[] {
    return [...this.features.values()].flat();
  }

  /** The tile under a point of the map, and the point's pixel in it. */
  private tileAt(latlng: L.LatLng): { coords: L.Coords; pixel: Pixel } | null {
    const map = this._map;
    if (!map) return null;
    const zoom = Math.round(map.getZoom());
    const point = map.project(latlng, zoom);
    const coords = { x: Math.floor(point.x / TILE_SIZE), y: Math.floor(point.y / TILE_SIZE), z: zoom } as L.Coords;
    return { coords, pixel: [point.x - coords.x * TILE_SIZE, point.y - coords.y * TILE_SIZE] };
  }

  /** A raster tile's colour under a point of the map: [r, g, b, a], or null off a raster tile. */
  pixelAt(latlng: L.LatLng): [number, number, number, number] | null {
    const at = this.tileAt(latlng);
    if (!at) return null;
    const key = this.keyOf(at.coords);
    if (!this.rasterTiles.has(key)) return null;
    const tile = this.liveTiles().find((candidate) => this.keyOf(candidate.coords) === key);
    const canvas = tile?.el.querySelector('canvas');
    if (!canvas) return null;
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(Math.floor(at.pixel[0]), Math.floor(at.pixel[1]), 1, 1).data;
    return [data[0] as number, data[1] as number, data[2] as number, data[3] as number];
  }

  /** The topmost feature under a point of the map, if a vector tile has one there. */
  featureAt(latlng: L.LatLng): GeoJSON.Feature | null {
    const at = this.tileAt(latlng);
    if (!at) return null;
    const { coords, pixel } = at;
    const features = this.features.get(this.keyOf(coords));
    if (!features) return null;
    const toPixel = this.projector(coords);
    for (let index = features.length - 1; index >= 0; index--) {
      const feature = features[index] as GeoJSON.Feature;
      if (feature.geometry && hits(feature.geometry, pixel, toPixel)) return feature;
    }
    return null;
  }

  override createTile(coords: L.Coords, done: L.DoneCallback): HTMLElement {
    const el = document.createElement('div');
    el.className = 'udf-tile';
    const canvas = document.createElement('canvas');
    canvas.width = TILE_SIZE;
    canvas.height = TILE_SIZE;
    el.appendChild(canvas);
    void this.paint(el, coords).then(() => done(undefined, el));
    return el;
  }

  private async paint(el: HTMLElement, coords: L.Coords): Promise<void> {
    const version = this.version;
    const paint = ++this.paints;
    this.latestPaint.set(el, paint);
    const key = this.keyOf(coords);
    el.classList.add('udf-tile-loading');
    this.loading++;
    this.report();
    try {
      const url = this.url ? this.url(coords.z, coords.x, coords.y) : tileUrl(this.udf, coords.z, coords.x, coords.y, version, this.params);
      const response = await fetch(url, { credentials: 'same-origin', headers: sessionHeaders() });
      // A newer paint of this tile (new code or parameters) started meanwhile: its answer wins.
      if (this.latestPaint.get(el) !== paint) return;
      const canvas = el.querySelector('canvas') as HTMLCanvasElement;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      this.features.delete(key);
      this.rasterTiles.delete(key);
      if (response.status === 204) {
        context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
        this.markOk(el, key);
      } else if (!response.ok) {
        const error = await errorOf(response);
        const message = error.line ? `${error.message} (line ${error.line})` : error.message;
        reportTileError(this.udf, error);
        drawError(context, message);
        el.classList.add('udf-tile-error');
        el.title = message;
        this.failedTiles.add(key);
        this.lastError = message;
      } else if ((response.headers.get('content-type') ?? '').startsWith('image/')) {
        const image = await createImageBitmap(await response.blob());
        if (this.latestPaint.get(el) !== paint) return;
        context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
        context.drawImage(image, 0, 0, TILE_SIZE, TILE_SIZE);
        this.rasterTiles.add(key);
        this.markOk(el, key);
      } else {
        const data = (await response.json()) as GeoJSON.FeatureCollection | GeoJSON.Feature;
        if (this.latestPaint.get(el) !== paint) return;
        const features = data.type === 'FeatureCollection' ? data.features : [data];
        this.features.set(key, features);
        el.dataset.features = String(features.length);
        context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
        this.drawFeatures(context, coords, features);
        this.markOk(el, key);
      }
      el.dataset.version = version;
    } catch (error) {
      this.failedTiles.add(key);
      this.lastError = `the tile did not load: ${(error as Error).message}`;
      el.classList.add('udf-tile-error');
    } finally {
      el.classList.remove('udf-tile-loading');
      this.loading--;
      this.report();
    }
  }

  private markOk(el: HTMLElement, key: string): void {
    el.classList.remove('udf-tile-error');
    el.removeAttribute('title');
    this.failedTiles.delete(key);
    if (this.failedTiles.size === 0) {
      this.lastError = null;
      reportTileError(this.udf, null);
    }
  }

  private projector(coords: L.Coords): ToPixel {
    const map = this._map;
    const origin = L.point(coords.x * TILE_SIZE, coords.y * TILE_SIZE);
    return (position) => {
      const point = map.project(L.latLng(position[1] as number, position[0] as number), coords.z).subtract(origin);
      return [point.x, point.y];
    };
  }

  private drawFeatures(context: CanvasRenderingContext2D, coords: L.Coords, features: GeoJSON.Feature[]): void {
    if (!this._map) return;
    const toPixel = this.projector(coords);
    context.lineWidth = 1.2;
    for (const feature of features) {
      if (!feature.geometry) continue;
      const color = colorOf(this.style, feature.properties);
      const fill = this.style.filled ? css(color, this.style.fillAlpha) : null;
      context.strokeStyle = css(color);
      drawGeometry(context, feature.geometry, toPixel, fill, css(color));
    }
  }

  private liveTiles(): LiveTile[] {
    // Leaflet keeps its tiles in `_tiles`; reading it repaints them without rebuilding the grid.
    const tiles = (this as unknown as { _tiles: Record<string, LiveTile> })._tiles;
    return Object.values(tiles);
  }

  private keyOf(coords: L.Coords): string {
    return `${coords.z}/${coords.x}/${coords.y}`;
  }

  private report(): void {
    this.onStatus?.({ loading: this.loading, failed: this.failedTiles.size, lastError: this.lastError });
  }
}

function drawGeometry(context: CanvasRenderingContext2D, geometry: GeoJSON.Geometry, toPixel: ToPixel, fill: string | null, stroke: string): void {
  const ring = (positions: GeoJSON.Position[]): void => {
    positions.forEach((position, index) => {
      const [x, y] = toPixel(position);
      if (index === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
  };
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      for (const position of geometry.type === 'Point' ? [geometry.coordinates] : geometry.coordinates) {
        const [x, y] = toPixel(position);
        context.beginPath();
        context.arc(x, y, 3, 0, Math.PI * 2);
        context.fillStyle = stroke;
        context.fill();
      }
      break;
    case 'LineString':
    case 'MultiLineString':
      context.beginPath();
      for (const line of geometry.type === 'LineString' ? [geometry.coordinates] : geometry.coordinates) ring(line);
      context.stroke();
      break;
    case 'Polygon':
    case 'MultiPolygon':
      context.beginPath();
      for (const polygon of geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) {
        for (const part of polygon) {
          ring(part);
          context.closePath();
        }
      }
      if (fill) {
        context.fillStyle = fill;
        context.fill('evenodd');
      }
      context.stroke();
      break;
    case 'GeometryCollection':
      for (const part of geometry.geometries) drawGeometry(context, part, toPixel, fill, stroke);
      break;
  }
}

/** Whether a geometry drawn on a tile covers a pixel (inside a polygon, or near a point or line). */
function hits(geometry: GeoJSON.Geometry, pixel: Pixel, toPixel: ToPixel): boolean {
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return (geometry.type === 'Point' ? [geometry.coordinates] : geometry.coordinates)
        .some((position) => distance(toPixel(position), pixel) <= PICK_DISTANCE);
    case 'LineString':
    case 'MultiLineString':
      return (geometry.type === 'LineString' ? [geometry.coordinates] : geometry.coordinates)
        .some((line) => nearLine(line.map(toPixel), pixel));
    case 'Polygon':
    case 'MultiPolygon':
      return (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates).some((polygon) => {
        // Even-odd over the rings, as the tile is filled: a hole's pixel is outside.
        let inside = false;
        for (const ring of polygon) if (insideRing(ring.map(toPixel), pixel)) inside = !inside;
        return inside || polygon.some((ring) => nearLine(ring.map(toPixel), pixel));
      });
    case 'GeometryCollection':
      return geometry.geometries.some((part) => hits(part, pixel, toPixel));
  }
}

function distance(a: Pixel, b: Pixel): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function nearLine(points: Pixel[], pixel: Pixel): boolean {
  for (let index = 1; index < points.length; index++) {
    const [a, b] = [points[index - 1] as Pixel, points[index] as Pixel];
    const length = (b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2;
    const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((pixel[0] - a[0]) * (b[0] - a[0]) + (pixel[1] - a[1]) * (b[1] - a[1])) / length));
    if (distance([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], pixel) <= PICK_DISTANCE) return true;
  }
  return false;
}

function insideRing(points: Pixel[], [x, y]: Pixel): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i] as Pixel;
    const [xj, yj] = points[j] as Pixel;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A failed tile: a tinted square with the error's message, wrapped. */
function drawError(context: CanvasRenderingContext2D, message: string): void {
  context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
  context.fillStyle = 'rgba(220, 38, 38, 0.10)';
  context.fillRect(0, 0, TILE_SIZE, TILE_SIZE);
  context.strokeStyle = 'rgba(220, 38, 38, 0.6)';
  context.setLineDash([4, 3]);
  context.strokeRect(0.5, 0.5, TILE_SIZE - 1, TILE_SIZE - 1);
  context.setLineDash([]);
  context.fillStyle = '#b91c1c';
  context.font = '600 12px system-ui, sans-serif';
  context.fillText('⚠ tile failed', 10, 22);
  context.font = '11px system-ui, sans-serif';
  context.fillStyle = '#7f1d1d';
  let line = '';
  let y = 40;
  for (const word of message.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (context.measureText(next).width > TILE_SIZE - 20 && line) {
      context.fillText(line, 10, y);
      y += 15;
      line = word;
      if (y > TILE_SIZE - 12) return;
    } else {
      line = next;
    }
  }
  if (line) context.fillText(line, 10, y);
}

/** The engine's error of a failed tile (its JSON body), with the line it names. */
async function errorOf(response: Response): Promise<ErrorData> {
  try {
    const body = (await response.json()) as { error?: Partial<ErrorData> };
    const error = body.error;
    if (error && typeof error.message === 'string') return { ...error, code: error.code ?? 'UDF_ERR_RUNTIME', message: error.message };
  } catch {
    // Not JSON: the status is all there is to say.
  }
  return { code: 'UDF_ERR_PROTOCOL', message: `HTTP ${response.status}` };
}
