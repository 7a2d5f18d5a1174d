/**
 * The `.pmtiles` and `.mbtiles` files of the workspace folders as tile sources: listed with their
 * bounds, zooms and layers, and read tile by tile. An archive is named by its path inside its
 * workspace folder; readers are kept open while the file stays the same (size and time).
 */

import { readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import type { ArchiveSource, TileFormat } from '../../../src-shared/exports.js';
import type { Bounds } from '../../../src-shared/tiles.js';
import { archiveFormat } from './export-request.js';
import { MbtilesReader } from './mbtiles-reader.js';
import { PmtilesReader, type StoredTile } from './pmtiles-reader.js';

/** Folder levels searched below each workspace folder. */
const MAX_DEPTH = 3;
/** How long a search of the folders answers tile requests before the folders are read again. */
const FOUND_FOR_MS = 1_000;
const ARCHIVE_NAME = /^[^.].*\.(pmtiles|mbtiles)$/i;
const SKIPPED_FOLDERS = new Set(['node_modules', '__pycache__']);

interface OpenArchive {
  source: ArchiveSource;
  stamp: string;
  reader: PmtilesReader | MbtilesReader;
}

export class ArchiveSources {
  private readonly open = new Map<string, OpenArchive>();
  private found: { at: number; names: Map<string, string> } | null = null;

  constructor(private readonly folders: () => readonly string[]) {}

  /** Every readable archive of the workspace; unreadable ones are left out. */
  async list(): Promise<ArchiveSource[]> {
    const sources: ArchiveSource[] = [];
    for (const [name, path] of this.find(true)) {
      try {
        sources.push((await this.archive(name, path)).source);
      } catch {
        // A file that is not an archive (or one being replaced) is simply not a source.
      }
    }
    return sources;
  }

  /** An archive by name; UDF_ERR_FILE_NOT_FOUND when the workspace has none of that name. */
  async get(name: string): Promise<ArchiveSource> {
    return (await this.byName(name)).source;
  }

  /** A tile's stored bytes, null when the archive has none there. */
  async tile(name: string, z: number, x: number, y: number): Promise<StoredTile | null> {
    const { reader } = await this.byName(name);
    return reader.tile(z, x, y);
  }

  async close(): Promise<void> {
    for (const archive of this.open.values()) await closeReader(archive.reader);
    this.open.clear();
  }

  private async byName(name: string): Promise<OpenArchive> {
    const path = this.find().get(name) ?? this.find(true).get(name);
    if (!path) throw udfError('UDF_ERR_FILE_NOT_FOUND', `no tile archive "${name}" in the workspace folders`);
    return this.archive(name, path);
  }

  /** Archive names to paths, the first workspace folder winning a name two share; a map's burst of tiles reads the folders once. */
  private find(fresh = false): Map<string, string> {
    const now = Date.now();
    if (!fresh && this.found && now - this.found.at < FOUND_FOR_MS) return this.found.names;
    const found = new Map<string, string>();
    for (const folder of this.folders()) {
      walk(folder, MAX_DEPTH, (path) => {
        const name = relative(folder, path).split(sep).join('/');
        if (!found.has(name)) found.set(name, path);
      });
    }
    this.found = { at: now, names: found };
    return found;
  }

  private async archive(name: string, path: string): Promise<OpenArchive> {
    const stats = statSync(path);
    const stamp = stampOf(stats);
    const known = this.open.get(path);
    if (known?.stamp === stamp) return known;
    if (known) await closeReader(known.reader);
    this.open.delete(path);
    const format = archiveFormat(path);
    const reader = format === 'pmtiles' ? await PmtilesReader.open(path) : MbtilesReader.open(path);
    const source = format === 'pmtiles' ? pmtilesSource(name, reader as PmtilesReader, stats.size) : mbtilesSource(name, reader as MbtilesReader, stats.size);
    const opened = { source, stamp, reader };
    this.open.set(path, opened);
    return opened;
  }
}

function walk(folder: string, depth: number, found: (path: string) => void): void {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isFile() && ARCHIVE_NAME.test(entry.name)) found(join(folder, entry.name));
    else if (entry.isDirectory() && depth > 0 && !entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name)) walk(join(folder, entry.name), depth - 1, found);
  }
}

function stampOf(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}

function pmtilesSource(name: string, reader: PmtilesReader, bytes: number): ArchiveSource {
  const { header } = reader;
  return {
    name, format: 'pmtiles', tileFormat: requireFormat(name, reader.tileFormat), bounds: header.bounds, minZoom: header.minZoom, maxZoom: header.maxZoom,
    layers: layerNames(reader.metadata.vector_layers), bytes,
  };
}

function mbtilesSource(name: string, reader: MbtilesReader, bytes: number): ArchiveSource {
  const { metadata } = reader;
  const bounds = (metadata.bounds ?? '-180,-85.0511,180,85.0511').split(',').map(Number);
  let layers: unknown;
  try {
    layers = (JSON.parse(metadata.json ?? '{}') as { vector_layers?: unknown }).vector_layers;
  } catch {
    layers = null; // a malformed json row: no layer names
  }
  return {
    name, format: 'mbtiles', tileFormat: requireFormat(name, reader.tileFormat),
    bounds: (bounds.length === 4 && bounds.every(Number.isFinite) ? bounds : [-180, -85.0511, 180, 85.0511]) as Bounds,
    minZoom: Number(metadata.minzoom ?? 0), maxZoom: Number(metadata.maxzoom ?? 22), layers: layerNames(layers), bytes,
  };
}

function requireFormat(name: string, format: TileFormat | null): TileFormat {
  if (!format) throw udfError('UDF_ERR_ARCHIVE', `${name} holds tiles in an encoding that is not served (mvt, png, jpeg and webp are)`);
  return format;
}

function layerNames(layers: unknown): string[] {
  if (!Array.isArray(layers)) return [];
  return layers.flatMap((layer: unknown) => (layer && typeof layer === 'object' && typeof (layer as { id?: unknown }).id === 'string' ? [(layer as { id: string }).id] : []));
}

async function closeReader(reader: PmtilesReader | MbtilesReader): Promise<void> {
  await reader.close();
}
