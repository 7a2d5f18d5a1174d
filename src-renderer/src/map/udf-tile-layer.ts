/**
 * A Leaflet layer of a UDF's tiles, whatever they are: each tile is fetched from the engine and
 * painted on a canvas, a PNG as an image and GeoJSON (a vector tile UDF) as drawn features.
 *
 * A tile that fails shows its error message; a tile in flight is marked as loading; a new code
 * version repaints the visible tiles in place (no blank flash), which is how a save shows.
 */

import L from 'leaflet';
import { tileUrl } from '../api/client.js';
import { sessionHeaders } from '../api/session-key.js';
import { reportTileError } from '../state/tile-errors.svelte.js';
import type { ErrorData } from '../../../src-shared/errors.js';

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
}

const TILE_SIZE = 256;
const FILL = 'rgba(37, 99, 235, 0.22)';
const STROKE = '#1d4ed8';

interface LiveTile {
  el: HTMLElement;
  coords: L.Coords;
}

export class UdfTileLayer extends L.GridLayer {
  private version: string;
  private params: Record<string, string>;
  private readonly udf: string;
  private readonly onStatus: ((status: TileStatus) => void) | undefined;
  private loading = 0;
  private readonly failedTiles = new Set<string>();
  private lastError: string | null = null;

  constructor(options: UdfTileLayerOptions) {
    super({ tileSize: TILE_SIZE, updateWhenZooming: false, keepBuffer: 1, ...options });
    this.udf = options.udf;
    this.version = options.version;
    this.params = options.params;
    this.onStatus = options.onStatus;
    this.on('tileunload', (event: L.TileEvent) => {
      this.failedTiles.delete(this.keyOf(event.coords));
      this.report();
    });
  }

  /** Repaints every visible tile for a new code version or new parameters, keeping the old pixels until the new arrive. */
  refresh(version: string, params: Record<string, string>): void {
    this.version = version;
    this.params = params;
    for (const tile of this.liveTiles()) void this.paint(tile.el, tile.coords);
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
    const key = this.keyOf(coords);
    el.classList.add('udf-tile-loading');
    this.loading++;
    this.report();
    try {
      const response = await fetch(tileUrl(this.udf, coords.z, coords.x, coords.y, version, this.params), { credentials: 'same-origin', headers: sessionHeaders() });
      // A newer version started painting this tile meanwhile: its answer wins.
      if (version !== this.version && el.dataset.version === this.version) return;
      const canvas = el.querySelector('canvas') as HTMLCanvasElement;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
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
        context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
        context.drawImage(image, 0, 0, TILE_SIZE, TILE_SIZE);
        this.markOk(el, key);
      } else {
        const data = (await response.json()) as GeoJSON.FeatureCollection | GeoJSON.Feature;
        context.clearRect(0, 0, TILE_SIZE, TILE_SIZE);
        this.drawFeatures(context, coords, data);
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

  private drawFeatures(context: CanvasRenderingContext2D, coords: L.Coords, data: GeoJSON.FeatureCollection | GeoJSON.Feature): void {
    const map = this._map;
    if (!map) return;
    const origin = L.point(coords.x * TILE_SIZE, coords.y * TILE_SIZE);
    const toPixel = (position: GeoJSON.Position): [number, number] => {
      const point = map.project(L.latLng(position[1] as number, position[0] as number), coords.z).subtract(origin);
      return [point.x, point.y];
    };
    context.fillStyle = FILL;
    context.strokeStyle = STROKE;
    context.lineWidth = 1.2;
    const features = data.type === 'FeatureCollection' ? data.features : [data];
    for (const feature of features) if (feature.geometry) drawGeometry(context, feature.geometry, toPixel);
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

function drawGeometry(context: CanvasRenderingContext2D, geometry: GeoJSON.Geometry, toPixel: (p: GeoJSON.Position) => [number, number]): void {
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
        context.fillStyle = STROKE;
        context.fill();
        context.fillStyle = FILL;
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
      context.fill('evenodd');
      context.stroke();
      break;
    case 'GeometryCollection':
      for (const part of geometry.geometries) drawGeometry(context, part, toPixel);
      break;
  }
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
