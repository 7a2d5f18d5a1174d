"""Result encoders, one per family of result kinds, with helper modules for the big formats.

Each encoder takes a classified result, a format its kind supports (already checked against
`fused._results.KIND_FORMATS`) and the run's tile (None outside tile mode), and returns the
bytes. A new format is added by listing it in that table and handling it in its family's
encoder. Helpers: `vector_tile` (mvt), `office` (html, excel, xml tables), `web_mercator`
(tile grids, drawing a raster into a tile).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

from .document import encode_bytes, encode_json, encode_text, guess_content_type
from .raster import encode_raster
from .tabular import encode_geotable, encode_table

if TYPE_CHECKING:
    from .._result_kinds import Classified, Kind
    from .._tiles import TileCoord

Encoder = Callable[["Classified", str, "TileCoord | None"], bytes]

ENCODERS: Final[Mapping[Kind, Encoder]] = {
    "table": encode_table,
    "geotable": encode_geotable,
    "raster": encode_raster,
    "json": encode_json,
    "text": encode_text,
    "html": encode_text,
    "bytes": encode_bytes,
}

__all__ = ["ENCODERS", "Encoder", "guess_content_type"]
