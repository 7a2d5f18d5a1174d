/**
 * Reads tiles from a PMTiles v3 archive on disk: the header and root directory once, leaf
 * directories as tiles need them (kept, a bounded number), each tile with one positioned read.
 */

import { open, type FileHandle } from 'node:fs/promises';
import { udfError } from '../../../src-shared/errors.js';
import type { TileFormat } from '../../../src-shared/exports.js';
import { COMPRESSION, decompress, HEADER_BYTES, parseDirectory, parseHeader, TILE_TYPES, tileId, type Entry, type Header } from './pmtiles-format.js';

/** Leaf directories kept in memory per archive. */
const KEPT_LEAVES = 64;
/** Directory levels a lookup follows before the archive is taken as broken (the spec allows a few). */
const MAX_DEPTH = 4;

export interface StoredTile {
  bytes: Buffer;
  /** The tile is gzipped as stored (the archive's tile compression). */
  gzipped: boolean;
}

export class PmtilesReader {
  private readonly leaves = new Map<number, Entry[]>();

  private constructor(
    private readonly file: FileHandle,
    readonly header: Header,
    private readonly root: Entry[],
    readonly metadata: Record<string, unknown>,
  ) {}

  static async open(path: string): Promise<PmtilesReader> {
    const file = await open(path, 'r');
    try {
      const head = await read(file, 0, HEADER_BYTES);
      const header = parseHeader(head);
      if (![COMPRESSION.none, COMPRESSION.gzip].includes(header.tileCompression as 1 | 2)) {
        throw udfError('UDF_ERR_ARCHIVE', `this PMTiles archive's tiles use compression ${header.tileCompression}; only none and gzip are served`);
      }
      const root = parseDirectory(await read(file, header.rootOffset, header.rootLength), header.internalCompression);
      const metadataBytes = decompress(await read(file, header.metadataOffset, header.metadataLength), header.internalCompression);
      let metadata: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(Buffer.from(metadataBytes).toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
      } catch {
        throw udfError('UDF_ERR_ARCHIVE', 'the PMTiles archive\'s metadata is not JSON');
      }
      return new PmtilesReader(file, header, root, metadata);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  get tileFormat(): TileFormat | null {
    const found = Object.entries(TILE_TYPES).find(([, type]) => type === this.header.tileType);
    return found ? (found[0] as TileFormat) : null;
  }

  /** The tile's stored bytes, null when the archive has no such tile. */
  async tile(z: number, x: number, y: number): Promise<StoredTile | null> {
    if (z < this.header.minZoom || z > this.header.maxZoom) return null;
    const id = tileId(z, x, y);
    let directory = this.root;
    for (let depth = 0; depth < MAX_DEPTH; depth += 1) {
      const entry = findEntry(directory, id);
      if (!entry) return null;
      if (entry.runLength > 0) {
        if (id >= entry.tileId + entry.runLength) return null;
        const bytes = await read(this.file, this.header.dataOffset + entry.offset, entry.length);
        return { bytes, gzipped: this.header.tileCompression === COMPRESSION.gzip };
      }
      directory = await this.leaf(entry);
    }
    throw udfError('UDF_ERR_ARCHIVE', `the PMTiles archive's directories nest deeper than ${MAX_DEPTH} levels`);
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private async leaf(entry: Entry): Promise<Entry[]> {
    const known = this.leaves.get(entry.offset);
    if (known) return known;
    const leaf = parseDirectory(await read(this.file, this.header.leafOffset + entry.offset, entry.length), this.header.internalCompression);
    if (this.leaves.size >= KEPT_LEAVES) this.leaves.delete(this.leaves.keys().next().value as number);
    this.leaves.set(entry.offset, leaf);
    return leaf;
  }
}

/** The last entry whose id is at most `id` (entries are sorted by id). */
function findEntry(entries: Entry[], id: number): Entry | null {
  let low = 0;
  let high = entries.length - 1;
  let found: Entry | null = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const entry = entries[middle] as Entry;
    if (entry.tileId <= id) {
      found = entry;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

async function read(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw udfError('UDF_ERR_ARCHIVE', 'the PMTiles archive ends early (is it still being written?)');
  return buffer;
}
