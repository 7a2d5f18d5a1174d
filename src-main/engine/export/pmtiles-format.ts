/**
 * The PMTiles v3 layout (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md): the
 * 127-byte header, tile ids along a Hilbert curve, and directories of varint columns. Written
 * here from the specification; the writer and the reader share it.
 */

import { gunzipSync, gzipSync } from 'node:zlib';
import { udfError } from '../../../src-shared/errors.js';
import type { TileFormat } from '../../../src-shared/exports.js';

export const HEADER_BYTES = 127;
/** The header and the root directory must fit in the first 16 KiB (one read for a client). */
export const ROOT_LIMIT_BYTES = 16_384;
const MAGIC = 'PMTiles';
const VERSION = 3;

export const COMPRESSION = { unknown: 0, none: 1, gzip: 2, brotli: 3, zstd: 4 } as const;
export const TILE_TYPES: Record<TileFormat, number> = { mvt: 1, png: 2, jpeg: 3, webp: 4 };

export interface Header {
  rootOffset: number;
  rootLength: number;
  metadataOffset: number;
  metadataLength: number;
  leafOffset: number;
  leafLength: number;
  dataOffset: number;
  dataLength: number;
  addressedTiles: number;
  tileEntries: number;
  tileContents: number;
  clustered: boolean;
  internalCompression: number;
  tileCompression: number;
  tileType: number;
  minZoom: number;
  maxZoom: number;
  /** [west, south, east, north] in degrees. */
  bounds: [number, number, number, number];
  centerZoom: number;
  center: [number, number];
}

/** A directory entry: a run of `runLength` tiles with the same bytes, or (runLength 0) a leaf directory. */
export interface Entry {
  tileId: number;
  offset: number;
  length: number;
  runLength: number;
}

/** The tile's position along the Hilbert curves of every zoom up to its own (ids of lower zooms come first). */
export function tileId(z: number, x: number, y: number): number {
  // Tiles of the zooms above: 1 + 4 + ... + 4^(z-1) = (4^z - 1) / 3.
  let id = (4 ** z - 1) / 3;
  let tx = x;
  let ty = y;
  for (let half = 2 ** z / 2; half >= 1; half /= 2) {
    const right = tx >= half ? 1 : 0;
    const lower = ty >= half ? 1 : 0;
    id += half * half * ((3 * right) ^ lower);
    tx %= half;
    ty %= half;
    // Each quadrant of the curve is the whole curve turned: turn the point back before going down.
    if (lower === 0) {
      if (right === 1) {
        tx = half - 1 - tx;
        ty = half - 1 - ty;
      }
      [tx, ty] = [ty, tx];
    }
  }
  return id;
}

export function writeVarint(out: number[], value: number): void {
  let rest = value;
  // Values reach 2^53: no bitwise operators, they would cut them to 32 bits.
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

export function readVarint(bytes: Uint8Array, position: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[position.at];
    if (byte === undefined) throw udfError('UDF_ERR_ARCHIVE', 'a PMTiles directory ends inside a number');
    position.at += 1;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
    if (scale > 2 ** 56) throw udfError('UDF_ERR_ARCHIVE', 'a PMTiles directory holds a number that is too long');
  }
}

/** A directory as bytes: the entries' count, then their ids (as deltas), run lengths, lengths and offsets, gzipped. */
export function serializeDirectory(entries: readonly Entry[]): Buffer {
  const out: number[] = [];
  writeVarint(out, entries.length);
  let last = 0;
  for (const entry of entries) {
    writeVarint(out, entry.tileId - last);
    last = entry.tileId;
  }
  for (const entry of entries) writeVarint(out, entry.runLength);
  for (const entry of entries) writeVarint(out, entry.length);
  entries.forEach((entry, i) => {
    const previous = entries[i - 1];
    // 0 says "right after the previous entry's bytes", the common case in a clustered archive.
    writeVarint(out, previous && entry.offset === previous.offset + previous.length ? 0 : entry.offset + 1);
  });
  return gzipSync(Buffer.from(out));
}

export function parseDirectory(compressed: Uint8Array, compression: number): Entry[] {
  const bytes = decompress(compressed, compression);
  const position = { at: 0 };
  const count = readVarint(bytes, position);
  const entries: Entry[] = [];
  let last = 0;
  for (let i = 0; i < count; i += 1) {
    last += readVarint(bytes, position);
    entries.push({ tileId: last, offset: 0, length: 0, runLength: 0 });
  }
  for (const entry of entries) entry.runLength = readVarint(bytes, position);
  for (const entry of entries) entry.length = readVarint(bytes, position);
  entries.forEach((entry, i) => {
    const value = readVarint(bytes, position);
    const previous = entries[i - 1];
    if (value === 0 && !previous) throw udfError('UDF_ERR_ARCHIVE', 'a PMTiles directory starts with a relative offset');
    entry.offset = value === 0 && previous ? previous.offset + previous.length : value - 1;
  });
  return entries;
}

export function decompress(bytes: Uint8Array, compression: number): Uint8Array {
  if (compression === COMPRESSION.none) return bytes;
  if (compression === COMPRESSION.gzip) return gunzipSync(bytes);
  throw udfError('UDF_ERR_ARCHIVE', `this PMTiles archive uses compression ${compression}; only none and gzip are read`);
}

export function serializeHeader(header: Header): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  buffer.write(MAGIC, 0, 'ascii');
  buffer.writeUInt8(VERSION, 7);
  const numbers = [
    header.rootOffset, header.rootLength, header.metadataOffset, header.metadataLength, header.leafOffset, header.leafLength,
    header.dataOffset, header.dataLength, header.addressedTiles, header.tileEntries, header.tileContents,
  ];
  numbers.forEach((value, i) => buffer.writeBigUInt64LE(BigInt(value), 8 + i * 8));
  buffer.writeUInt8(header.clustered ? 1 : 0, 96);
  buffer.writeUInt8(header.internalCompression, 97);
  buffer.writeUInt8(header.tileCompression, 98);
  buffer.writeUInt8(header.tileType, 99);
  buffer.writeUInt8(header.minZoom, 100);
  buffer.writeUInt8(header.maxZoom, 101);
  header.bounds.forEach((degrees, i) => buffer.writeInt32LE(Math.round(degrees * 1e7), 102 + i * 4));
  buffer.writeUInt8(header.centerZoom, 118);
  buffer.writeInt32LE(Math.round(header.center[0] * 1e7), 119);
  buffer.writeInt32LE(Math.round(header.center[1] * 1e7), 123);
  return buffer;
}

export function parseHeader(bytes: Buffer): Header {
  if (bytes.length < HEADER_BYTES || bytes.toString('ascii', 0, 7) !== MAGIC) throw udfError('UDF_ERR_ARCHIVE', 'not a PMTiles archive (no PMTiles header)');
  if (bytes.readUInt8(7) !== VERSION) throw udfError('UDF_ERR_ARCHIVE', `PMTiles version ${bytes.readUInt8(7)} is not read here (only version 3)`);
  const number = (i: number): number => Number(bytes.readBigUInt64LE(8 + i * 8));
  const degrees = (at: number): number => bytes.readInt32LE(at) / 1e7;
  return {
    rootOffset: number(0), rootLength: number(1), metadataOffset: number(2), metadataLength: number(3), leafOffset: number(4), leafLength: number(5),
    dataOffset: number(6), dataLength: number(7), addressedTiles: number(8), tileEntries: number(9), tileContents: number(10),
    clustered: bytes.readUInt8(96) === 1, internalCompression: bytes.readUInt8(97), tileCompression: bytes.readUInt8(98), tileType: bytes.readUInt8(99),
    minZoom: bytes.readUInt8(100), maxZoom: bytes.readUInt8(101), bounds: [degrees(102), degrees(106), degrees(110), degrees(114)],
    centerZoom: bytes.readUInt8(118), center: [degrees(119), degrees(123)],
  };
}
