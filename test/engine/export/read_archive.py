"""Reads a tile archive back with readers independent of UDF Studio, for the export tests.

`python read_archive.py FILE` prints JSON: the archive's metadata and, for each tile, the SHA-256 of
its bytes as a tile URL serves them (gzipped vector tiles unzipped). PMTiles archives are read with
the `pmtiles` package from PyPI, MBTiles files with Python's own sqlite3 (rows flipped from TMS).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import sys
from typing import Any


def read_pmtiles(path: str) -> dict[str, Any]:
    from pmtiles.reader import MmapSource, Reader, all_tiles
    from pmtiles.tile import Compression

    with open(path, "rb") as handle:
        reader = Reader(MmapSource(handle))
        header = reader.header()
        gzipped = header["tile_compression"] == Compression.GZIP
        tiles = {}
        for (z, x, y), data in all_tiles(reader.get_bytes):
            tiles[f"{z}/{x}/{y}"] = digest(gzip.decompress(data) if gzipped else data)
        plain_header = {k: getattr(v, "value", v) for k, v in header.items()}
        return {"header": plain_header, "metadata": reader.metadata(), "tiles": tiles}


def read_mbtiles(path: str) -> dict[str, Any]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        metadata = dict(connection.execute("SELECT name, value FROM metadata").fetchall())
        tiles = {}
        rows = connection.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        for z, x, row, data in rows:
            y = 2**z - 1 - row
            raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            tiles[f"{z}/{x}/{y}"] = digest(raw)
        return {"metadata": metadata, "tiles": tiles}
    finally:
        connection.close()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(path: str) -> None:
    result = read_pmtiles(path) if path.endswith(".pmtiles") else read_mbtiles(path)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
