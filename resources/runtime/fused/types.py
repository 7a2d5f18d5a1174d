"""Annotations that UDF parameters use to ask for a tile or an area (`fused.types.Bounds`, ...).

Each is an `Annotated` alias carrying a `TileType` marker, so the runtime recognises it in a
signature (also inside `Optional[...]` and as a string annotation) while type checkers see the
value the UDF receives:

- `Bounds`: a list of 4 floats `[xmin, ymin, xmax, ymax]` in EPSG:4326.
- `Bbox`: a shapely box of those bounds.
- `Tile`, `TileGDF`, `ViewportGDF`: a one-row GeoDataFrame with columns x, y, z, geometry
  (EPSG:4326).
- `TileXYZ`: the tile's address, as a `mercantile.Tile` when mercantile is installed, else a
  named tuple with the same fields (x, y, z).

The SDK's exceptions live here too: `UdfRuntimeError` is the base of every error a run ends with
(`fused.UdfRuntimeError` and its kinds), so `except fused.types.UdfRuntimeError` catches them.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, NamedTuple


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
TILE_XYZ: Final = TileType("TileXYZ")

# The carried types of the geometry annotations are left open: importing shapely or geopandas here
# would make `import fused` (and so every worker start) pay for them, and neither ships type
# information for a checker to use.
Bounds = Annotated[list[float], BOUNDS]
Bbox = Annotated[Any, BBOX]
Tile = Annotated[Any, TILE]
TileGDF = Annotated[Any, TILE_GDF]
ViewportGDF = Annotated[Any, VIEWPORT_GDF]
TileXYZ = Annotated[Any, TILE_XYZ]

TILE_TYPES: Final = (BOUNDS, BBOX, TILE, TILE_GDF, VIEWPORT_GDF, TILE_XYZ)


class XYZ(NamedTuple):
    """A tile's address where mercantile (whose `Tile` has the same fields) is not installed."""

    x: int
    y: int
    z: int


class UdfRuntimeError(RuntimeError):
    """A UDF run failed; `child_exception_class` names the exception the UDF raised, if any."""

    def __init__(
        self, *args: object, child_exception_class: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.child_exception_class = child_exception_class


class UdfSerializationError(Exception):
    """A UDF's result could not be turned into bytes."""


class UdfTimeoutError(RuntimeError):
    """A UDF run passed its time limit."""


class JobPoolTailTimeoutError(TimeoutError):
    """`JobPool.tail(timeout=...)` ran out of time; the pool was cancelled.

    `not_succeeded_args` are the arguments of the runs that did not succeed, to submit again.
    """

    def __init__(self, message: str, *, timeout: float, not_succeeded_args: list[Any]) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.not_succeeded_args = not_succeeded_args


class UdfSelfRecursionError(Exception):
    """A UDF submitted itself while it runs."""


__all__ = [
    "Bbox",
    "Bounds",
    "JobPoolTailTimeoutError",
    "Tile",
    "TileGDF",
    "TileType",
    "TileXYZ",
    "UdfRuntimeError",
    "UdfSelfRecursionError",
    "UdfSerializationError",
    "UdfTimeoutError",
    "ViewportGDF",
]
