"""XYZ tile math (web mercator tiles, y counted from the top) and tiles as UDF arguments."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Final

from ._errors import UDF_ERR_PARAM, UdfTileError
from .types import BBOX, BOUNDS, TILE_XYZ, XYZ, TileType

MAX_ZOOM: Final = 30


@dataclass(frozen=True, slots=True)
class TileCoord:
    """A checked tile address: 0 <= z <= 30 and 0 <= x, y < 2**z."""

    x: int
    y: int
    z: int

    def bounds(self) -> list[float]:
        """The tile's `[xmin, ymin, xmax, ymax]` in EPSG:4326 degrees."""
        return tile_bounds(self.x, self.y, self.z)


def tile_bounds(x: int, y: int, z: int) -> list[float]:
    """The `[west, south, east, north]` of tile x/y/z in EPSG:4326 degrees."""
    n = 2.0**z
    west = x / n * 360.0 - 180.0
    east = (x + 1) / n * 360.0 - 180.0
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    return [west, south, east, north]


def make_tile(x: object, y: object, z: object) -> TileCoord:
    """Check tile coordinates (ints, or strings of ints) and return the tile.

    Raises `UdfTileError` (code `UDF_ERR_PARAM`) when one is missing, not an integer, or out of
    range for its zoom.
    """
    missing = [name for name, value in (("x", x), ("y", y), ("z", z)) if value is None]
    if missing:
        given = [name for name in ("x", "y", "z") if name not in missing]
        raise UdfTileError(
            "tile coordinates x, y and z must be given together "
            f"(given: {', '.join(given) or 'none'}; missing: {', '.join(missing)})",
            code=UDF_ERR_PARAM,
        )
    zi = _coordinate("z", z)
    xi = _coordinate("x", x)
    yi = _coordinate("y", y)
    if not 0 <= zi <= MAX_ZOOM:
        raise UdfTileError(f"tile zoom z={zi} is out of range 0..{MAX_ZOOM}", code=UDF_ERR_PARAM)
    top = (1 << zi) - 1
    for name, value in (("x", xi), ("y", yi)):
        if not 0 <= value <= top:
            raise UdfTileError(
                f"tile {name}={value} is out of range 0..{top} for zoom {zi}", code=UDF_ERR_PARAM
            )
    return TileCoord(xi, yi, zi)


def tile_argument(tile: TileCoord, tile_type: TileType) -> Any:
    """The tile as the value a parameter of this tile type receives."""
    if tile_type is TILE_XYZ:
        return xyz_value(tile)
    bounds = tile.bounds()
    if tile_type is BOUNDS:
        return bounds
    box = import_module("shapely.geometry").box
    if tile_type is BBOX:
        return box(*bounds)
    return import_module("geopandas").GeoDataFrame(
        {"x": [tile.x], "y": [tile.y], "z": [tile.z]}, geometry=[box(*bounds)], crs="EPSG:4326"
    )


def xyz_value(tile: TileCoord) -> Any:
    """`fused.types.TileXYZ`'s value: a `mercantile.Tile`, or `XYZ` without mercantile."""
    try:
        tile_class = import_module("mercantile").Tile
    except ImportError:
        tile_class = XYZ
    return tile_class(tile.x, tile.y, tile.z)


def _coordinate(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise UdfTileError(f"tile {name} must be an integer, got {value!r}", code=UDF_ERR_PARAM)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)
        except ValueError:
            pass
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    raise UdfTileError(f"tile {name} must be an integer, got {value!r}", code=UDF_ERR_PARAM)
