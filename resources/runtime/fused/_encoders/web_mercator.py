"""Web Mercator (EPSG:3857) tile grids, shared by the vector tile and raster encoders.

A tile's pixels (and an MVT's tile coordinates) are a regular grid in Web Mercator metres, not
in degrees: rows are evenly spaced in projected y, so latitudes are converted through the
projection rather than interpolated between the tile's EPSG:4326 bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .._errors import UDF_ERR_RESULT, UdfResultError

if TYPE_CHECKING:
    from .._tiles import TileCoord

EARTH_RADIUS_M: Final = 6378137.0
# Half the width of the projected world: x and y both run from -HALF_WORLD_M to +HALF_WORLD_M.
HALF_WORLD_M: Final = math.pi * EARTH_RADIUS_M
TILE_SIZE_PX: Final = 256


@dataclass(frozen=True, slots=True)
class MercatorBox:
    """A tile's extent in EPSG:3857 metres: x from `west` to `east`, y from `south` to `north`."""

    west: float
    south: float
    east: float
    north: float

    @property
    def width(self) -> float:
        """The extent's width (tiles are square, so also its height) in metres."""
        return self.east - self.west


def tile_box(tile: TileCoord) -> MercatorBox:
    """The tile's extent in EPSG:3857 metres."""
    size = 2.0 * HALF_WORLD_M / (1 << tile.z)
    west = -HALF_WORLD_M + tile.x * size
    north = HALF_WORLD_M - tile.y * size
    return MercatorBox(west, north - size, west + size, north)


def mercator_to_lon(x: Any) -> Any:
    """Longitudes in degrees of projected x values (numpy arrays or floats)."""
    return x * (180.0 / HALF_WORLD_M)


def mercator_to_lat(y: Any) -> Any:
    """Latitudes in degrees of projected y values (numpy arrays)."""
    import numpy as np

    return np.degrees(np.arctan(np.sinh(np.asarray(y) / EARTH_RADIUS_M)))


def place_in_tile(bands: Any, bounds: list[float], tile: TileCoord) -> Any:
    """A 256x256 RGBA-style tile with `bands` drawn where their EPSG:4326 `bounds` fall.

    `bands` is uint8, bands-first, with its last band an alpha band (L+A or RGB+A). Each tile
    pixel takes the array pixel under its centre (nearest neighbour); pixels the array does not
    cover are fully transparent. Raises `UdfResultError` for bounds that enclose no area.
    """
    import numpy as np

    west, south, east, north = bounds
    if not (west < east and south < north):
        raise UdfResultError(
            f"raster bounds must be [xmin, ymin, xmax, ymax] with xmin < xmax and "
            f"ymin < ymax, not {bounds}",
            code=UDF_ERR_RESULT,
        )
    height, width = bands.shape[1:]
    box = tile_box(tile)
    step = box.width / TILE_SIZE_PX
    centres = (np.arange(TILE_SIZE_PX) + 0.5) * step
    # The grid is separable: a tile column maps to one array column, a tile row to one array row.
    lons = mercator_to_lon(box.west + centres)
    lats = mercator_to_lat(box.north - centres)
    columns = np.floor((lons - west) / (east - west) * width).astype(np.int64)
    rows = np.floor((north - lats) / (north - south) * height).astype(np.int64)
    column_inside = (columns >= 0) & (columns < width)
    row_inside = (rows >= 0) & (rows < height)
    tile_pixels = np.zeros((bands.shape[0], TILE_SIZE_PX, TILE_SIZE_PX), dtype=np.uint8)
    if column_inside.any() and row_inside.any():
        target = np.ix_(np.flatnonzero(row_inside), np.flatnonzero(column_inside))
        source = np.ix_(rows[row_inside], columns[column_inside])
        for band in range(bands.shape[0]):
            tile_pixels[band][target] = bands[band][source]
    return tile_pixels
