"""A PNG writer for map tiles, where encoding time is what a pan waits for.

PIL tries every PNG filter on every row to pick the best; for a 256 px RGB tile that search costs
more than the compression itself. Here every row gets the "Up" filter (each byte minus the one
above it), computed for the whole image in one numpy subtraction, then zlib at its fastest level.
Where most filtered pixels differ from the one before them (photos, hillshades), zlib finds few
matches to copy, and its run-length strategy is faster still and as small; flat colours and
gradients keep the default strategy, whose matches make them many times smaller. On all of these
that gives files within a few percent of PIL's at its fastest level, or smaller, two to four
times sooner.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final

_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_UP_FILTER: Final = 2
# PNG colour types by band count: grey, grey + alpha, RGB, RGBA.
_COLOUR_TYPES: Final = {1: 0, 2: 4, 3: 2, 4: 6}


def encode_tile_png(bands: Any) -> bytes:
    """PNG bytes of uint8 bands-first pixels of shape (1 to 4, height, width)."""
    import numpy as np

    count, height, width = bands.shape
    if bands.dtype != np.uint8 or count not in _COLOUR_TYPES or height == 0 or width == 0:
        raise ValueError(f"a PNG tile needs 1 to 4 uint8 bands, not {bands.dtype} {bands.shape}")
    rows = np.ascontiguousarray(np.moveaxis(bands, 0, -1)).reshape(height, width * count)
    scanlines = np.empty((height, width * count + 1), dtype=np.uint8)
    scanlines[:, 0] = _UP_FILTER
    # Above the first row the filter sees zeros, so that row is written as it is.
    scanlines[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=scanlines[1:, 1:])
    filtered = scanlines[:, 1:]
    repeats = np.count_nonzero(filtered[:, count:] == filtered[:, :-count])
    strategy = zlib.Z_RLE if repeats < filtered.size // 2 else zlib.Z_DEFAULT_STRATEGY
    compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS, 8, strategy)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[count], 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", compressor.compress(scanlines.tobytes()) + compressor.flush()),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)
