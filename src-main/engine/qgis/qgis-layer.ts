/**
 * "Open in QGIS": a layer file (`.qlr`) for a tile UDF's tiles, through a shared token made for it.
 *
 * One tile at the UDF's default view is run first (through the engine, so it is cached for QGIS's
 * first request): it checks the parameters, tells raster tiles (PNG, an XYZ layer) from vector ones
 * (MVT, a vector tile layer), and gives the columns the style needs, decided as the window's map
 * decides it (src-shared/feature-style.ts). The file is written whole or not at all, and the token
 * is deleted again when it cannot be written.
 */

import * as cartoPalettes from 'cartocolor';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { udfError, UdfStudioError } from '../../../src-shared/errors.js';
import { columnsOf, layerStyle, styleFromVizConfig, type ColumnInfo, type FeatureStyle } from '../../../src-shared/feature-style.js';
import { HTTP_DEFAULTS } from '../../../src-shared/formats.js';
import { RESERVED_QUERY } from '../../../src-shared/query-names.js';
import { MAX_ZOOM, pointToTile, type Tile } from '../../../src-shared/tiles.js';
import type { RunFailure, RunSuccess, UdfDescription } from '../../../src-shared/udf.js';
import type { EngineResult, EngineRun } from '../engine-run.js';
import type { TokenStore } from '../tokens/token-store.js';
import { isTileUdf, viewStateOf } from '../workspace/library.js';
import type { UdfFolder } from '../workspace/udf-folder.js';
import type { UdfIds } from '../workspace/udf-ids.js';
import { layerDefinition, type TileLayerKind } from './layer-file.js';

/** What this module asks of the engine (the engine satisfies it; this module sits below it). */
export interface QgisEngine {
  readonly udfIds: UdfIds;
  describe(udf: UdfFolder): Promise<{ ok: true; description: UdfDescription } | RunFailure>;
  run(run: EngineRun): Promise<EngineResult>;
}

export interface QgisLayerRequest {
  udf: UdfFolder;
  /** The UDF's parameters, as strings (they go into the tile URL's query). */
  params: Record<string, string>;
  /** Colour vector features by this column (as picked in the map's layer panel); absent: as the map does by default. */
  colorBy?: string | null;
  /** The engine's URL that QGIS will call, e.g. http://127.0.0.1:8765. */
  serverUrl: string;
  /** The `.qlr` file to write. */
  out: string;
  /** The token's owner (the local account's email). */
  owner: string;
}

export interface QgisLayer {
  file: string;
  kind: TileLayerKind;
  /** The shared token made for this layer. */
  token: string;
  tileUrl: string;
  /** How vector features are coloured; null for raster tiles. */
  style: FeatureStyle | null;
}

/** The zooms QGIS requests tiles for unless `fused:vizConfig.tileLayer` says otherwise (as QGIS's own XYZ default). */
const DEFAULT_ZOOMS = { minZoom: 0, maxZoom: 22 };
/** The view the window's map opens at when the UDF names none. */
const WORLD_VIEW = { latitude: 20, longitude: 0, zoom: 2 };

/** Where the engine keeps the layer files it writes when no path is given. */
export function defaultLayerFile(home: string, udfName: string): string {
  return join(home, 'qgis', `${udfName.replace(/[^A-Za-z0-9_-]/g, '_')}.qlr`);
}

export async function writeQgisLayer(engine: QgisEngine, tokens: TokenStore, request: QgisLayerRequest): Promise<QgisLayer> {
  const { udf, params } = request;
  if (extname(request.out).toLowerCase() !== '.qlr') throw udfError('UDF_ERR_USAGE', `a QGIS layer file must end in .qlr (QGIS opens it by its name), got ${request.out}`);
  const reserved = Object.keys(params).filter((name) => RESERVED_QUERY.has(name));
  if (reserved.length > 0) throw udfError('UDF_ERR_USAGE', `${reserved.join(', ')} cannot be a parameter of a tile URL (the URL's own settings use the name)`);
  const described = await engine.describe(udf);
  if (!described.ok) throw new UdfStudioError({ ...described.error, message: `${udf.name} does not load: ${described.error.message}` });
  if (!isTileUdf(udf.udfType, described.description)) {
    throw udfError('UDF_ERR_USAGE', `${udf.name} is not a tile UDF (it runs once, not per map tile), so it has no tiles for QGIS; its file URL (udf-studio token create) reads in QGIS as a vector file`);
  }

  const vizConfig = asRecord(udf.source.metadata['fused:vizConfig']);
  const zooms = zoomsOf(vizConfig);
  const probe = await probeTile(engine, udf, params, zooms);
  const kind: TileLayerKind = probe.kind ?? (udf.udfType === 'raster' ? 'raster' : 'vector');
  const style = kind === 'vector' ? styleOf(udf.name, vizConfig, probe.columns, request.colorBy ?? null) : null;

  const created = tokens.create({ udfSlug: udf.name, udfId: engine.udfIds.idFor(udf), udfEmail: request.owner, metadata: { created_by: 'open in qgis' } });
  const query = new URLSearchParams(params).toString().replace(/\+/g, '%20');
  const tileUrl = `${request.serverUrl}/${created.token}/run/tiles/{z}/{x}/{y}.${kind === 'raster' ? 'png' : 'mvt'}${query ? `?${query}` : ''}`;
  const abstract = `The ${kind} tiles of the UDF ${udf.name}, served by UDF Studio (which must be running) through the shared token ${created.token}. `
    + 'Revoke the token in UDF Studio\'s Tokens view (or udf-studio token revoke) to stop this layer.';
  const xml = layerDefinition({ name: udf.name, kind, tileUrl, ...zooms, style, abstract });
  try {
    writeWhole(request.out, xml);
  } catch (error) {
    tokens.delete(created.token);
    throw udfError('UDF_ERR_DISK_WRITE', `cannot write the layer file ${request.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { file: request.out, kind, token: created.token, tileUrl, style };
}

interface Probe {
  /** Null when the tile was empty (the UDF's type then decides). */
  kind: TileLayerKind | null;
  columns: ColumnInfo[];
}

/** Runs the tile at the centre of the UDF's default view, as the window's map would show it first. */
async function probeTile(engine: QgisEngine, udf: UdfFolder, params: Record<string, string>, zooms: { minZoom: number; maxZoom: number }): Promise<Probe> {
  const view = viewStateOf(udf.source.metadata['fused:defaultViewState']) ?? WORLD_VIEW;
  const zoom = Math.min(zooms.maxZoom, Math.max(zooms.minZoom, Math.round(view.zoom)));
  const tile: Tile = pointToTile(view.longitude, view.latitude, zoom);
  const { outcome } = await engine.run({ udf, params, tile, formats: ['png', 'geojson'], defaults: HTTP_DEFAULTS });
  if (!outcome.ok) {
    const where = `tile ${tile.z}/${tile.x}/${tile.y} (the default view)`;
    throw new UdfStudioError({ ...outcome.error, message: `${udf.name} failed at ${where}: ${outcome.error.message}` });
  }
  if (outcome.empty) return { kind: null, columns: [] };
  if (outcome.kind === 'raster') return { kind: 'raster', columns: [] };
  if (outcome.kind === 'table' || outcome.kind === 'geotable') return { kind: 'vector', columns: columnsOf(featuresOf(outcome)) };
  throw udfError('UDF_ERR_USAGE', `${udf.name}'s tiles are ${outcome.kind}, neither an image nor features, so QGIS cannot draw them`);
}

function featuresOf(outcome: RunSuccess): Array<{ properties: Record<string, unknown> | null }> {
  try {
    const parsed = JSON.parse(Buffer.from(outcome.body).toString('utf8')) as { features?: unknown };
    return Array.isArray(parsed.features) ? (parsed.features as Array<{ properties: Record<string, unknown> | null }>) : [];
  } catch {
    return [];
  }
}

/** The style the map shows by default, or by the column asked for (which the tile must have). */
function styleOf(name: string, vizConfig: Record<string, unknown> | null, columns: ColumnInfo[], colorBy: string | null): FeatureStyle {
  if (colorBy !== null && colorBy !== '' && !columns.some((column) => column.name === colorBy)) {
    const known = columns.map((column) => column.name).join(', ') || 'none';
    throw udfError('UDF_ERR_USAGE', `${name}'s tiles have no column "${colorBy}" to colour by (columns at the default view: ${known})`);
  }
  return layerStyle(styleFromVizConfig(vizConfig, cartoPalettes), columns, colorBy);
}

/** `fused:vizConfig.tileLayer`'s minZoom and maxZoom (deck.gl's TileLayer), where they are zooms. */
function zoomsOf(vizConfig: Record<string, unknown> | null): { minZoom: number; maxZoom: number } {
  const tileLayer = asRecord(vizConfig?.tileLayer);
  const zoom = (value: unknown): number | null => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_ZOOM ? (value as number) : null);
  const minZoom = zoom(tileLayer?.minZoom) ?? DEFAULT_ZOOMS.minZoom;
  const maxZoom = zoom(tileLayer?.maxZoom) ?? DEFAULT_ZOOMS.maxZoom;
  return minZoom <= maxZoom ? { minZoom, maxZoom } : DEFAULT_ZOOMS;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Writes beside the target, then renames: QGIS (or a reader) never sees half a file. */
function writeWhole(path: string, text: string): void {
  const temporary = join(dirname(path), `.${process.pid}-${Date.now()}.qlr.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes the folder of the default layer files (the home's qgis/). */
export function ensureLayerFolder(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
}
