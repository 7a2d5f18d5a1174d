"""Annotations that UDF parameters use to ask for a tile or an area (`fused.types.Bounds`, ...).

Each is an `Annotated` alias carrying a `TileType` marker, so the runtime recognises it in a
signature (also inside `Optional[...]` and as a string annotation) while type checkers see the
value the UDF receives:

- `Bounds`: a list of 4 floats `[xmin, ymin, xmax, ymax]` in EPSG:4326.
- `Bbox`: a shapely box of those bounds.
- `Tile`, `TileGDF`, `ViewportGDF`: a one-row GeoDataFrame with columns x, y, z, geometry
  (EPSG:4326).
"""

from __future__ import annotations

from typing import Annotated, Any, Final


class TileType:
    """Marks an annotation as one of the tile types; `name` is its name in `fused.types`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"fused.types.{self.name}"


BOUNDS: Final = TileType("Bounds")
BBOX: Final = TileType("Bbox")
TILE: Final = TileType("Tile")
TILE_GDF: Final = TileType("TileGDF")
VIEWPORT_GDF: Final = TileType("ViewportGDF")

# The carried types of the geometry annotations are left open: importing shapely or geopandas here
# would make `import fused` (and so every worker start) pay for them, and neither ships type
# information for a checker to use.
Bounds = Annotated[list[float], BOUNDS]
Bbox = Annotated[Any, BBOX]
Tile = Annotated[Any, TILE]
TileGDF = Annotated[Any, TILE_GDF]
ViewportGDF = Annotated[Any, VIEWPORT_GDF]

TILE_TYPES: Final = (BOUNDS, BBOX, TILE, TILE_GDF, VIEWPORT_GDF)

__all__ = ["Bbox", "Bounds", "Tile", "TileGDF", "TileType", "ViewportGDF"]
