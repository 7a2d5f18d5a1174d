"""UDF results: their kinds, the closed table of formats, and encoding a result to bytes.

`classify` sorts a returned value into a kind (table, geotable, raster, json, text, html, bytes,
empty); `choose_format` picks the first requested format the kind supports; one encoder per
family of kinds (`_encoders`) writes the bytes, given the run's tile in tile mode (mvt is cut
for it, an `(array, bounds)` raster is drawn into it). Libraries are looked up in `sys.modules`
rather than imported: a value can only be a GeoDataFrame if geopandas is already loaded, so a
UDF that returns a dict never pays for importing pandas.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from numbers import Number
from typing import TYPE_CHECKING, Any, Final

from ._errors import UDF_ERR_FORMAT, UDF_ERR_RESULT, UdfResultError
from ._result_kinds import Classified, Kind

if TYPE_CHECKING:
    from ._tiles import TileCoord


# The closed table of format names and their content types (those of Fused's hosted API).
FORMATS: Final[Mapping[str, str]] = {
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "png": "image/png",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "bytes": "application/octet-stream",
    "feather": "application/vnd.apache.arrow.file",
    "mvt": "application/vnd.mapbox-vector-tile",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml",
    "gif": "image/gif",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "npy": "application/x-numpy-data",
}
# The protocol's aliases, and the engine's extra ones (src-shared/formats.ts).
ALIASES: Final[Mapping[str, str]] = {
    "jpg": "jpeg",
    "tif": "tiff",
    "txt": "text",
    "htm": "html",
    "geoparquet": "parquet",
    "xlsx": "excel",
    "pbf": "mvt",
    "arrow": "feather",
}
# The formats each kind can be encoded to; the first is the usual one. `empty` takes any.
KIND_FORMATS: Final[Mapping[Kind, tuple[str, ...]]] = {
    "table": ("parquet", "json", "feather", "csv", "html", "excel", "xml"),
    "geotable": ("parquet", "geojson", "json", "feather", "csv", "mvt", "html", "excel", "xml"),
    "raster": ("png", "gif", "jpeg", "webp", "tiff", "npy"),
    "json": ("json",),
    # A string is JSON too: the official client asks for `npy,tiff,parquet,json` by default.
    "text": ("text", "json"),
    "html": ("html", "json"),
    "bytes": ("bytes",),
    "empty": (),
}
DEFAULT_FORMATS: Final[Mapping[Kind, str]] = {
    "table": "csv",
    "geotable": "geojson",
    "raster": "png",
    "json": "json",
    "text": "text",
    "html": "html",
    "bytes": "bytes",
    "empty": "json",
}


@dataclass(frozen=True, slots=True)
class EncodedResult:
    """An encoded result: its kind, format, content type and bytes.

    `empty` is true for `None` and for tables with no rows (a tile server answers 204 for them).
    """

    kind: Kind
    format: str
    content_type: str
    payload: bytes
    empty: bool = False


def encode_result(
    value: object,
    formats: Sequence[str] = (),
    defaults: Mapping[str, str] | None = None,
    tile: TileCoord | None = None,
) -> EncodedResult:
    """Encode a UDF's return value in the first requested format its kind supports.

    `formats` is a preference list (empty: `defaults[kind]`, then the protocol defaults).
    `tile` is the run's tile in tile mode: mvt needs it, and an `(array, bounds)` raster is drawn
    into it as a 256x256 image.
    Raises `UdfResultError` with `UDF_ERR_FORMAT` when no requested format fits the kind (or mvt
    is asked for without a tile), and with `UDF_ERR_RESULT` when the value cannot be encoded.
    """
    from ._encoders import ENCODERS, guess_content_type  # a dict lookup after the first run

    classified = classify(value)
    kind = classified.kind
    fmt = choose_format(kind, formats, defaults)
    if kind == "empty":
        return EncodedResult(kind, fmt, FORMATS[fmt], b"", empty=True)
    try:
        payload = ENCODERS[kind](classified, fmt, tile)
    except (UdfResultError, MemoryError):
        raise
    except Exception as exc:
        raise UdfResultError(
            f"cannot encode the {kind} result as {fmt}: {exc}",
            code=UDF_ERR_RESULT,
            exception_class=type(exc).__name__,
        ) from exc
    content_type = classified.content_type or FORMATS[fmt]
    if kind == "bytes" and classified.content_type is None:
        content_type = guess_content_type(payload)
    empty = kind in ("table", "geotable") and len(classified.value) == 0
    return EncodedResult(kind, fmt, content_type, payload, empty=empty)


def normalise_format(name: str) -> str:
    """A requested format name in the table's spelling (lower case, aliases resolved)."""
    lowered = name.strip().lower()
    return ALIASES.get(lowered, lowered)


def choose_format(
    kind: Kind, formats: Sequence[str], defaults: Mapping[str, str] | None = None
) -> str:
    """The format to encode a result of `kind` in; see `encode_result`."""
    supported = KIND_FORMATS[kind]
    if formats:
        for requested in formats:
            name = normalise_format(requested)
            if name in supported or (kind == "empty" and name in FORMATS):
                return name
        raise _format_error(kind, [normalise_format(requested) for requested in formats])
    name = normalise_format((defaults or {}).get(kind) or DEFAULT_FORMATS[kind])
    if name in supported or (kind == "empty" and name in FORMATS):
        return name
    raise _format_error(kind, [name])


def classify(value: object) -> Classified:
    """Sort a UDF's return value into its result kind.

    Raises `UdfResultError` (`UDF_ERR_RESULT`) for values of a type no kind takes.
    """
    kind = type(value)
    if kind is dict or kind is list:
        return Classified("json", value)
    if value is None:
        return Classified("empty", None)
    if isinstance(value, str):
        return Classified("html" if value.lstrip().startswith("<") else "text", value)
    if isinstance(value, bytes | bytearray | memoryview):
        return Classified("bytes", bytes(value))
    if isinstance(value, bool | int | float):
        return Classified("json", value)
    if isinstance(value, tuple):
        return _classify_tuple(value)
    found = _classify_library_value(value)
    if found is not None:
        return found
    if isinstance(value, dict | list | Number):
        return Classified("json", value)
    body = getattr(value, "body", None)
    if isinstance(body, bytes | str):
        return Classified(
            "bytes",
            body.encode("utf-8") if isinstance(body, str) else body,
            content_type=_response_content_type(value),
        )
    raise UdfResultError(
        f"cannot encode a result of type {type(value).__module__}.{type(value).__qualname__}",
        code=UDF_ERR_RESULT,
    )


def _classify_tuple(value: tuple[Any, ...]) -> Classified:
    np = sys.modules.get("numpy")
    if np is not None and len(value) == 2:
        array, bounds = value
        xr = sys.modules.get("xarray")
        if xr is not None and isinstance(array, xr.DataArray):
            array = array.values
        if isinstance(array, np.ndarray) and array.ndim in (2, 3) and _is_bounds(bounds):
            return Classified("raster", array, bounds=[float(number) for number in bounds])
    return Classified("json", list(value))


def _classify_library_value(value: object) -> Classified | None:
    modules = sys.modules
    gpd = modules.get("geopandas")
    if gpd is not None:
        if isinstance(value, gpd.GeoDataFrame):
            if getattr(value, "_geometry_column_name", None) in value.columns:
                return Classified("geotable", value)
            return Classified("table", value)
        if isinstance(value, gpd.GeoSeries):
            return Classified("geotable", gpd.GeoDataFrame(geometry=value))
    pd = modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            return Classified("table", value)
        if isinstance(value, pd.Series):
            return Classified(
                "table", value.to_frame(value.name if value.name is not None else "value")
            )
    shapely_base = modules.get("shapely.geometry.base")
    if shapely_base is not None and isinstance(value, shapely_base.BaseGeometry):
        gpd = import_module("geopandas")  # a shapely geometry is shown as a one-row frame
        return Classified("geotable", gpd.GeoDataFrame(geometry=[value], crs="EPSG:4326"))
    np = modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            if value.ndim in (2, 3):
                return Classified("raster", value)
            return Classified("json", value.tolist())
        if isinstance(value, np.generic):
            return Classified("json", value.item())
    xr = modules.get("xarray")
    if xr is not None:
        if isinstance(value, xr.DataArray):
            return Classified("raster", value.values)
        if isinstance(value, xr.Dataset):
            return Classified("raster", value.to_array().values)
    image_module = modules.get("PIL.Image")
    if image_module is not None and isinstance(value, image_module.Image):
        return Classified("raster", value)
    return None


def _is_bounds(value: object) -> bool:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        value = value.tolist()
    return (
        isinstance(value, list | tuple)
        and len(value) == 4
        and all(isinstance(number, Number) and not isinstance(number, bool) for number in value)
    )


def _response_content_type(value: object) -> str | None:
    media_type = getattr(value, "media_type", None)
    if isinstance(media_type, str) and media_type:
        return media_type
    headers = getattr(value, "headers", None)
    if isinstance(headers, Mapping):
        for key, header in headers.items():
            if str(key).lower() == "content-type" and isinstance(header, str):
                return header
    return None


def _format_error(kind: Kind, requested: list[str]) -> UdfResultError:
    supported = ", ".join(KIND_FORMATS[kind]) or "any"
    return UdfResultError(
        f"the result is a {kind}, which can be encoded as {supported}; "
        f"none of the requested formats fits ({', '.join(requested)})",
        code=UDF_ERR_FORMAT,
    )
