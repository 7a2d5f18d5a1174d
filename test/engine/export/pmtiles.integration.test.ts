import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArchiveInput } from '../../../src-main/engine/export/archive-input.js';
import { parseDirectory, readVarint, serializeDirectory, tileId, writeVarint } from '../../../src-main/engine/export/pmtiles-format.js';
import { PmtilesReader } from '../../../src-main/engine/export/pmtiles-reader.js';
import { writePmtiles } from '../../../src-main/engine/export/pmtiles-writer.js';
import { readArchive } from '../../helpers/reader-venv.js';

const folder = mkdtempSync(join(tmpdir(), 'pmtiles-test-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Fake PNG bytes of 500 kinds and many lengths (only the archive's bookkeeping is under test). */
function bytesOf(kind: string): Buffer {
  return Buffer.from(`tile ${kind} `.padEnd(20 + Number(kind) * 3, '.'));
}

/** A kind for each tile, scattered so that directories do not compress to nothing. */
function kindOf(x: number, y: number): string {
  return String(createHash('sha256').update(`${x}/${y}`).digest().readUInt16BE(0) % 500);
}

describe('PMTiles v3, as written here', () => {
  it('numbers tiles along the Hilbert curve as the specification does', () => {
    expect([tileId(0, 0, 0), tileId(1, 0, 0), tileId(1, 0, 1), tileId(1, 1, 1), tileId(1, 1, 0)]).toEqual([0, 1, 2, 3, 4]);
    expect(tileId(2, 0, 0)).toBe(5);
    // The last tile of zoom 24 is still a safe integer.
    expect(tileId(25, 0, 0) - 1).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it('round-trips varints past 32 bits and directories with relative offsets', () => {
    const out: number[] = [];
    for (const value of [0, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) writeVarint(out, value);
    const position = { at: 0 };
    const back = Array.from({ length: 7 }, () => readVarint(Uint8Array.from(out), position));
    expect(back).toEqual([0, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]);
    const entries = [
      { tileId: 0, offset: 0, length: 10, runLength: 1 },
      { tileId: 5, offset: 10, length: 20, runLength: 3 },
      { tileId: 9, offset: 0, length: 10, runLength: 1 },
      { tileId: 2 ** 40, offset: 30, length: 7, runLength: 0 },
    ];
    expect(parseDirectory(serializeDirectory(entries), 2)).toEqual(entries);
  });

  it('an archive too large for one root directory gets leaf directories that both readers follow', async () => {
    // 60,000 tiles of scattered contents: a single root would be far over 16 KiB.
    const tiles: ArchiveInput['tiles'][number][] = [];
    for (let x = 0; x < 300; x += 1) for (let y = 0; y < 200; y += 1) tiles.push({ z: 10, x, y, hash: kindOf(x, y) });
    const path = join(folder, 'big.pmtiles');
    const written = await writePmtiles(path, {
      tiles, read: (hash) => bytesOf(hash), tileFormat: 'png', name: 'big', description: 'test', bounds: [-180, 0, -74, 85], minZoom: 10, maxZoom: 10, layers: [], extra: {},
    });
    expect(written).toMatchObject({ tiles: 60_000, contents: 500 });
    const reader = await PmtilesReader.open(path);
    try {
      expect(reader.header.leafLength).toBeGreaterThan(0);
      expect(reader.header.rootOffset + reader.header.rootLength).toBeLessThanOrEqual(16_384);
      for (const [x, y] of [[0, 0], [299, 199], [150, 77]] as const) expect((await reader.tile(10, x, y))?.bytes).toEqual(bytesOf(kindOf(x, y)));
      expect(await reader.tile(10, 300, 0)).toBeNull();
      expect(await reader.tile(9, 0, 0)).toBeNull();
    } finally {
      await reader.close();
    }
    const back = await readArchive(path);
    expect(Object.keys(back.tiles)).toHaveLength(60_000);
    for (const [x, y] of [[0, 0], [299, 199], [150, 77]] as const) {
      expect(back.tiles[`10/${x}/${y}`]).toBe(createHash('sha256').update(bytesOf(kindOf(x, y))).digest('hex'));
    }
    expect(back.header).toMatchObject({ tile_contents_count: 500, addressed_tiles_count: 60_000 });
  }, 120_000);

  it('equal tiles in a row are one entry, and equal tiles anywhere are stored once', async () => {
    const tiles = [];
    for (let x = 0; x < 4; x += 1) for (let y = 0; y < 4; y += 1) tiles.push({ z: 2, x, y, hash: x < 2 ? 'sea' : `land ${x}/${y}` });
    const path = join(folder, 'runs.pmtiles');
    const written = await writePmtiles(path, {
      tiles, read: (hash) => Buffer.from(hash), tileFormat: 'png', name: 'runs', description: 'test', bounds: [-180, -85, 180, 85], minZoom: 2, maxZoom: 2, layers: [], extra: {},
    });
    expect(written).toMatchObject({ tiles: 16, contents: 9 });
    const back = await readArchive(path);
    expect(Object.keys(back.tiles)).toHaveLength(16);
    expect(back.header?.tile_entries_count).toBeLessThan(16);
    expect(back.tiles['2/0/3']).toBe(createHash('sha256').update('sea').digest('hex'));
  }, 120_000);
});
