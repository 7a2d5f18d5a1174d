"""`fused._optional_deps`: which optional libraries are installed, and their common classes.

Private in the SDK, but the public `common` helper UDF imports it (`estimate_zoom`, which
`get_tiles`, `bounds_to_hex`, `table_to_tile`, ... call), so it keeps the SDK's names: `HAS_X`
says whether a library imports, and each class is the library's or None without it. Importing
this module imports those libraries, so `fused` itself never imports it.
"""

from __future__ import annotations

from typing import Any

# Each library is optional, so each name is typed loosely: the class or None.
PD_DATAFRAME: Any
PD_SERIES: Any
PD_INDEX: Any
PD_HASH_OBJECT_FN: Any
PD_TIMESTAMP: Any
PD_TIMEDELTA: Any
GPD_GEODATAFRAME: Any
MERCANTILE_TILE: Any
SHAPELY_GEOMETRY: Any
SHAPELY_POLYGON: Any

try:
    import pandas as pd

    HAS_PANDAS = True
    PD_DATAFRAME = pd.DataFrame
    PD_SERIES = pd.Series
    PD_INDEX = pd.Index
    PD_HASH_OBJECT_FN = pd.util.hash_pandas_object
    PD_TIMESTAMP = pd.Timestamp
    PD_TIMEDELTA = pd.Timedelta
except ImportError:
    HAS_PANDAS = False
    PD_DATAFRAME = PD_SERIES = PD_INDEX = PD_HASH_OBJECT_FN = PD_TIMESTAMP = PD_TIMEDELTA = None

try:
    import geopandas as gpd

    HAS_GEOPANDAS = True
    GPD_GEODATAFRAME = gpd.GeoDataFrame
except ImportError:
    HAS_GEOPANDAS = False
    GPD_GEODATAFRAME = None

try:
    import mercantile  # type: ignore[import-untyped, import-not-found, unused-ignore]

    HAS_MERCANTILE = True
    MERCANTILE_TILE = mercantile.Tile
except ImportError:
    HAS_MERCANTILE = False
    MERCANTILE_TILE = None

try:
    import shapely

    HAS_SHAPELY = True
    SHAPELY_GEOMETRY = shapely.Geometry
    SHAPELY_POLYGON = shapely.Polygon
except ImportError:
    HAS_SHAPELY = False
    SHAPELY_GEOMETRY = SHAPELY_POLYGON = None

try:
    import aiofiles  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: F401

    HAS_AIOFILES = True
except ImportError:
    HAS_AIOFILES = False
