"""An ingest's input as rows ready to partition: one GeoDataFrame in EPSG:4326.

The input is a GeoDataFrame, a DataFrame with longitude and latitude columns, or files: parquet
(GeoParquet, or plain with `lonlat_cols`) and anything GDAL opens (through pyogrio, with the
ingest's `gdal_config`), named by path, `fd://`, `/mnt/cache`, a folder, or a list of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from .._shared_disk import map_path

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

PartitioningMethod = Literal["area", "length", "coords", "rows"]
PARQUET_SUFFIXES: Final = (".parquet", ".pq", ".geoparquet")
WORLD: Final = (-180.0, -90.0, 180.0, 90.0)
# Subdividing a part stops this many halvings down, whatever its area.
MAX_SUBDIVIDE_DEPTH: Final = 100


@dataclass(frozen=True)
class RowOptions:
    """What `prepare_rows` does to the input's rows (the ingest's options of the same names)."""

    load_columns: Sequence[str] | None
    remove_cols: Sequence[str]
    explode_geometries: bool
    drop_out_of_bounds: bool
    subdivide_start: float | None
    subdivide_stop: float | None


@dataclass(frozen=True)
class ReadOptions:
    """How input files are found and read."""

    file_suffix: str | None
    lonlat_cols: tuple[str, str] | None
    layer: str | None
    open_options: Mapping[str, str]


def is_frame(value: object) -> bool:
    """Whether `value` is a pandas DataFrame (GeoDataFrames included), without importing pandas."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.DataFrame)


def load_input(source: Any, options: ReadOptions) -> gpd.GeoDataFrame:
    """The input's rows as one GeoDataFrame (in the input's own CRS)."""
    import geopandas as gpd
    import pandas as pd

    if is_frame(source):
        return _with_geometry(source, options.lonlat_cols, "the input DataFrame")
    paths = input_files(source, options.file_suffix)
    frames = [_read_file(path, options) for path in paths]
    if len(frames) == 1:
        return frames[0]
    if len({str(frame.crs) for frame in frames}) > 1:
        frames = [frame.to_crs("EPSG:4326") if frame.crs else frame for frame in frames]
    # One geometry column for all, whatever each file called it.
    frames = [
        frame if frame.geometry.name == "geometry" else frame.rename_geometry("geometry")
        for frame in frames
    ]
    combined = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=frames[0].crs)


def input_files(source: Any, file_suffix: str | None) -> list[str]:
    """The files an input names: each path, or every file under a folder (names starting with
    `_` or `.` left out, as pyarrow does), keeping those ending with `file_suffix`."""
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    files: list[str] = []
    for item in items:
        text = map_path(os.fspath(item))
        if "://" in text:
            files.append(text)  # a URL: GDAL or pyarrow read it
            continue
        path = Path(text)
        if path.is_dir():
            found = sorted(
                str(child)
                for child in path.rglob("*")
                if child.is_file()
                and not any(part.startswith(("_", ".")) for part in child.relative_to(path).parts)
            )
            if file_suffix is not None:
                found = [name for name in found if name.endswith(file_suffix)]
            if not found:
                ending = f" ending with {file_suffix!r}" if file_suffix else ""
                raise FileNotFoundError(f"the input folder {item} has no files{ending}")
            files.extend(found)
        elif path.is_file():
            files.append(text)
        else:
            raise FileNotFoundError(f"the input {item} does not exist")
    return files


def prepare_rows(frame: gpd.GeoDataFrame, options: RowOptions) -> gpd.GeoDataFrame:
    """The rows to write: chosen columns, in EPSG:4326, without missing or empty geometries,
    exploded, subdivided and without rows outside the world's bounds, as asked. Prints what it
    leaves out."""
    import shapely

    frame = _choose_columns(frame, options.load_columns, options.remove_cols)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    elif not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geometry = frame.geometry.array
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    _drop(frame, missing, "have no geometry")
    frame = frame[~missing]
    if options.explode_geometries:
        frame = frame.explode(index_parts=False)
    if options.subdivide_start is not None:
        start, stop = options.subdivide_start, options.subdivide_stop
        frame = _subdivide(frame, start, start if stop is None else stop)
    if options.drop_out_of_bounds:
        bounds = shapely.bounds(frame.geometry.array)
        outside = (
            (bounds[:, 0] < WORLD[0])
            | (bounds[:, 1] < WORLD[1])
            | (bounds[:, 2] > WORLD[2])
            | (bounds[:, 3] > WORLD[3])
        )
        _drop(
            frame, outside, "reach outside the world's bounds (drop_out_of_bounds=False keeps them)"
        )
        frame = frame[~outside]
    if not len(frame):
        raise ValueError("the input has no rows with a geometry to ingest")
    return frame.reset_index(drop=True)


def row_weights(frame: gpd.GeoDataFrame, method: PartitioningMethod) -> npt.NDArray[np.float64]:
    """What each row counts for against the partitioning maximums."""
    import numpy as np
    import shapely

    geometry = frame.geometry.array
    if method == "rows":
        return np.ones(len(frame))
    if method == "area":
        return np.asarray(shapely.area(geometry), dtype=float)
    if method == "length":
        return np.asarray(shapely.length(geometry), dtype=float)
    return np.asarray(shapely.get_num_coordinates(geometry), dtype=float)


def _read_file(path: str, options: ReadOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        if options.lonlat_cols is None and b"geo" in (pq.read_schema(path).metadata or {}):
            return gpd.read_parquet(path)
        return _with_geometry(pd.read_parquet(path), options.lonlat_cols, path)
    frame = gpd.read_file(path, engine="pyogrio", layer=options.layer, **options.open_options)
    return _with_geometry(frame, options.lonlat_cols, path)


def _with_geometry(
    frame: pd.DataFrame, lonlat_cols: tuple[str, str] | None, what: str
) -> gpd.GeoDataFrame:
    """The frame as a GeoDataFrame: points from `lonlat_cols` when given, else its geometry."""
    import geopandas as gpd
    import pandas as pd

    if lonlat_cols is not None:
        lon, lat = lonlat_cols
        for column in lonlat_cols:
            if column not in frame.columns:
                raise KeyError(f"{what} has no column {column!r} (lonlat_cols={lonlat_cols!r})")
        points = gpd.points_from_xy(frame[lon], frame[lat])
        # The points replace any geometry the frame had.
        values = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
        if isinstance(frame, gpd.GeoDataFrame):
            values = values.drop(columns=[frame.geometry.name], errors="ignore")
        return gpd.GeoDataFrame(values, geometry=points, crs="EPSG:4326")
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return frame
    raise ValueError(
        f"{what} has no geometry: give lonlat_cols=(longitude column, latitude column) to make "
        "points, or gdal_config open options for a CSV file"
    )


def _choose_columns(
    frame: gpd.GeoDataFrame, load_columns: Sequence[str] | None, remove_cols: Sequence[str]
) -> gpd.GeoDataFrame:
    geometry = frame.geometry.name
    chosen = list(frame.columns) if load_columns is None else list(load_columns)
    for name in [*chosen, *remove_cols]:
        if name not in frame.columns:
            raise KeyError(f"the input has no column {name!r} (its columns: {list(frame.columns)})")
    if geometry in remove_cols:
        raise ValueError(f"remove_cols cannot remove the geometry column {geometry!r}")
    kept = [name for name in chosen if name not in remove_cols and name != geometry]
    selected: gpd.GeoDataFrame = frame[[*kept, geometry]]
    if any(name is not None for name in selected.index.names):
        selected = selected.reset_index()  # a named index is data: kept as columns
    return selected


def _drop(frame: pd.DataFrame, mask: Any, why: str) -> None:
    count = int(mask.sum())
    if count:
        print(f"fused.ingest: leaving out {count} of {len(frame)} rows that {why}", file=sys.stderr)


def _subdivide(frame: gpd.GeoDataFrame, start: float, stop: float) -> gpd.GeoDataFrame:
    """Geometries of area over `start` cut into parts of area at most `stop` (each part a row
    with the geometry's other values), halving across the longer side of each part's box."""
    import numpy as np
    import shapely

    geometry = frame.geometry.array
    big = np.flatnonzero(np.asarray(shapely.area(geometry)) > start)
    if not len(big):
        return frame
    heavy = set(big.tolist())
    rows: list[int] = []
    parts: list[Any] = []
    for row in range(len(frame)):
        pieces = _pieces(geometry[row], stop) if row in heavy else [geometry[row]]
        rows.extend([row] * len(pieces))
        parts.extend(pieces)
    result = frame.iloc[rows].copy()
    result[frame.geometry.name] = np.asarray(parts, dtype=object)
    return result.set_geometry(frame.geometry.name, crs=frame.crs)


def _pieces(shape: Any, stop: float) -> list[Any]:
    """`shape` halved until every part's area is at most `stop` (`stop` is above 0)."""
    import shapely

    done: list[Any] = []
    pending = [(shape, 0)]
    while pending:
        part, depth = pending.pop()
        minx, miny, maxx, maxy = part.bounds
        if part.area <= stop or depth >= MAX_SUBDIVIDE_DEPTH:
            done.append(part)
            continue
        if maxx - minx >= maxy - miny:
            middle = (minx + maxx) / 2
            halves = ((minx, miny, middle, maxy), (middle, miny, maxx, maxy))
        else:
            middle = (miny + maxy) / 2
            halves = ((minx, miny, maxx, middle), (minx, middle, maxx, maxy))
        for box in reversed(halves):
            piece = shapely.clip_by_rect(part, *box)
            if not piece.is_empty:
                pending.append((piece, depth + 1))
    return done
