/**
 * Writes a PMTiles v3 archive: header, root directory (with leaf directories when the root would
 * not fit in the first 16 KiB), JSON metadata, then the tile data clustered in tile-id order, each
 * distinct tile stored once and runs of equal tiles as one entry.
 */

import { open } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { storedBytes, centerOf, formatName, type ArchiveInput, type ArchiveWritten } from './archive-input.js';
import { COMPRESSION, HEADER_BYTES, ROOT_LIMIT_BYTES, serializeDirectory, serializeHeader, TILE_TYPES, tileId, type Entry } from './pmtiles-format.js';

/** Entries a leaf directory starts with; more when the root of leaf pointers would not fit. */
const FIRST_LEAF_SIZE = 4_096;
/** Tile contents written per system call. */
const WRITE_BATCH = 256;

/** Writes `input` to `path` (which it creates or replaces). */
export async function writePmtiles(path: string, input: ArchiveInput): Promise<ArchiveWritten> {
  const ordered = input.tiles.map((tile) => ({ id: tileId(tile.z, tile.x, tile.y), hash: tile.hash })).sort((a, b) => a.id - b.id);
  const file = await open(path, 'w');
  try {
    // Lay the tile data out first (offsets relative to its section), writing it after the
    // directories; contents are encoded twice rather than held, so memory stays small.
    const placed = new Map<string, { offset: number; length: number }>();
    const contents: string[] = [];
    const entries: Entry[] = [];
    let dataLength = 0;
    for (const tile of ordered) {
      let where = placed.get(tile.hash);
      if (!where) {
        const bytes = await storedBytes(input.tileFormat, input.read(tile.hash));
        where = { offset: dataLength, length: bytes.length };
        placed.set(tile.hash, where);
        contents.push(tile.hash);
        dataLength += bytes.length;
      }
      const last = entries[entries.length - 1];
      if (last && last.offset === where.offset && last.tileId + last.runLength === tile.id) last.runLength += 1;
      else entries.push({ tileId: tile.id, offset: where.offset, length: where.length, runLength: 1 });
    }
    const { root, leaves } = directories(entries);
    const metadata = gzipSync(Buffer.from(JSON.stringify(metadataOf(input))));
    const [west, south, east, north] = input.bounds;
    const [centerLon, centerLat, centerZoom] = centerOf(input);
    const rootOffset = HEADER_BYTES;
    const metadataOffset = rootOffset + root.length;
    const leafOffset = metadataOffset + metadata.length;
    const dataOffset = leafOffset + leaves.length;
    const header = serializeHeader({
      rootOffset, rootLength: root.length, metadataOffset, metadataLength: metadata.length, leafOffset, leafLength: leaves.length,
      dataOffset, dataLength, addressedTiles: ordered.length, tileEntries: entries.length, tileContents: contents.length, clustered: true,
      internalCompression: COMPRESSION.gzip, tileCompression: input.tileFormat === 'mvt' ? COMPRESSION.gzip : COMPRESSION.none,
      tileType: TILE_TYPES[input.tileFormat], minZoom: input.minZoom, maxZoom: input.maxZoom, bounds: [west, south, east, north],
      centerZoom, center: [centerLon, centerLat],
    });
    await file.writev([header, root, metadata, leaves]);
    for (let i = 0; i < contents.length; i += WRITE_BATCH) {
      await file.writev(await Promise.all(contents.slice(i, i + WRITE_BATCH).map((hash) => storedBytes(input.tileFormat, input.read(hash)))));
    }
    await file.sync();
    return { bytes: dataOffset + dataLength, tiles: ordered.length, contents: contents.length };
  } finally {
    await file.close();
  }
}

/** The root directory alone when it fits beside the header, else leaves of growing size under a root of pointers. */
function directories(entries: Entry[]): { root: Buffer; leaves: Buffer } {
  const whole = serializeDirectory(entries);
  if (HEADER_BYTES + whole.length <= ROOT_LIMIT_BYTES) return { root: whole, leaves: Buffer.alloc(0) };
  for (let size = FIRST_LEAF_SIZE; ; size *= 2) {
    const pointers: Entry[] = [];
    const leaves: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < entries.length; i += size) {
      const leaf = serializeDirectory(entries.slice(i, i + size));
      pointers.push({ tileId: (entries[i] as Entry).tileId, offset, length: leaf.length, runLength: 0 });
      leaves.push(leaf);
      offset += leaf.length;
    }
    const root = serializeDirectory(pointers);
    if (HEADER_BYTES + root.length <= ROOT_LIMIT_BYTES) return { root, leaves: Buffer.concat(leaves) };
  }
}

function metadataOf(input: ArchiveInput): Record<string, unknown> {
  const [lon, lat, zoom] = centerOf(input);
  return {
    name: input.name,
    description: input.description,
    format: formatName(input.tileFormat),
    bounds: input.bounds,
    center: [lon, lat, zoom],
    minzoom: input.minZoom,
    maxzoom: input.maxZoom,
    ...(input.tileFormat === 'mvt' ? { vector_layers: input.layers } : {}),
    ...input.extra,
  };
}
