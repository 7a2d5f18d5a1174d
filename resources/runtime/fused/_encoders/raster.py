"""Encoder for rasters: numpy arrays (2-D, bands-first or bands-last 3-D) and PIL images.

Images (png, gif, jpeg, webp) and GeoTIFF get uint8 pixels: uint8 arrays are written as they
are; other dtypes are scaled linearly from their min..max to 0..255, and NaN (or masked) pixels
become transparent. 1 band is greyscale, 2 grey+alpha, 3 RGB, 4 RGBA. npy keeps the array as
the UDF returned it. In tile mode, an `(array, bounds)` result is drawn into a 256x256 tile at
its bounds; a bare array is taken to be made for the tile already.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from .._errors import UDF_ERR_RESULT, UdfResultError
from .tile_png import encode_tile_png
from .web_mercator import place_in_tile, tile_box

if TYPE_CHECKING:
    from .._result_kinds import Classified
    from .._tiles import TileCoord

MAX_BANDS: Final = 4
# PIL's writer name for each image format, and the image modes it takes without conversion
# (a PIL image in one of them is written as it is, keeping its palette or 16-bit depth).
_PIL_FORMATS: Final[Mapping[str, str]] = {
    "png": "PNG",
    "gif": "GIF",
    "jpeg": "JPEG",
    "webp": "WEBP",
}
_DIRECT_MODES: Final[Mapping[str, frozenset[str]]] = {
    "png": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}),
    "gif": frozenset({"1", "L", "P", "RGB", "RGBA"}),
    "jpeg": frozenset({"L", "RGB"}),
    "webp": frozenset({"L", "LA", "RGB", "RGBA"}),
}
_SAVE_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "jpeg": {"quality": 90},
    "webp": {"quality": 90},
}
# Tiles go to map clients over loopback, where encoding, not bytes, is what a pan waits for:
# zlib's fastest level writes a 256 px PNG about a third faster for some 10% more bytes. (Arrays
# in tile mode skip PIL altogether: see tile_png.)
_TILE_SAVE_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    **_SAVE_OPTIONS,
    "png": {"compress_level": 1},
}
# Modes whose array is not bands of intensities: converted before drawing.
_CONVERT_MODES: Final[Mapping[str, str]] = {
    "1": "L",
    "P": "RGBA",
    "PA": "RGBA",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}
WGS84: Final = "EPSG:4326"
WEB_MERCATOR: Final = "EPSG:3857"


def encode_raster(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """A raster as png, gif, jpeg, webp, tiff (GeoTIFF when bounds are known) or npy."""
    value = classified.value
    if fmt == "npy":
        return _npy(value)
    image_module = sys.modules.get("PIL.Image")
    bounds = classified.bounds
    placed = tile is not None and bounds is not None
    if (
        image_module is not None
        and isinstance(value, image_module.Image)
        and not placed
        and value.mode in _DIRECT_MODES.get(fmt, ())
    ):
        return _save_image(value, fmt, tile is not None)
    bands = raster_bands(value)
    if tile is not None and bounds is not None:
        bands = place_in_tile(_with_alpha(bands, None), bounds, tile)
    if fmt == "tiff":
        return _geotiff(bands, _georeference(bounds, tile))
    if fmt == "png" and tile is not None:
        return encode_tile_png(bands)
    if fmt == "jpeg":
        bands = _flatten_alpha(bands)
    return _save_image(_image(bands), fmt, tile is not None)


def raster_bands(value: Any) -> Any:
    """uint8 bands-first pixels (1 to 4 bands) of an array or PIL image, scaled when not uint8.

    Raises `UdfResultError` (`UDF_ERR_RESULT`) for shapes that are not a 1- to 4-band image.
    """
    import numpy as np

    image_module = sys.modules.get("PIL.Image")
    if image_module is not None and isinstance(value, image_module.Image):
        value = _pil_array(value)
    mask = None
    if isinstance(value, np.ma.MaskedArray):
        mask = _masked(np.ma.getmaskarray)(value)
        value = np.ma.filled(value.astype(np.float64), np.nan)
    array = np.asarray(value)
    if array.ndim == 2:
        array = array[np.newaxis]
        mask = None if mask is None else mask[np.newaxis]
    elif array.ndim == 3 and array.shape[0] > MAX_BANDS and array.shape[-1] <= MAX_BANDS:
        array = np.moveaxis(array, -1, 0)  # bands-last, as PIL and matplotlib produce
        mask = None if mask is None else np.moveaxis(mask, -1, 0)
    if array.ndim != 3 or not 1 <= array.shape[0] <= MAX_BANDS:
        raise UdfResultError(
            f"a raster must be 2-D or 3-D with 1 to 4 bands, not shape {array.shape}",
            code=UDF_ERR_RESULT,
        )
    if array.dtype == np.uint8:
        bands, transparent = array, None
    else:
        bands, transparent = _scale(array)
    if mask is not None:
        band_mask = mask.any(axis=0)
        transparent = band_mask if transparent is None else (transparent | band_mask)
    if transparent is not None and transparent.any():
        bands = _with_alpha(bands, transparent)
    return bands


def _pil_array(image: Any) -> Any:
    import numpy as np

    target = _CONVERT_MODES.get(image.mode)
    if target == "RGBA" and image.mode == "P" and "transparency" not in image.info:
        target = "RGB"
    if target is not None:
        image = image.convert(target)
    array = np.asarray(image)
    return np.moveaxis(array, -1, 0) if array.ndim == 3 else array


def _scale(array: Any) -> tuple[Any, Any]:
    import numpy as np

    if np.iscomplexobj(array):
        raise UdfResultError("a complex-valued array cannot be drawn", code=UDF_ERR_RESULT)
    data = array.astype(np.float64)
    finite = np.isfinite(data)
    if finite.any():
        low, high = float(data[finite].min()), float(data[finite].max())
    else:
        low = high = 0.0
    scaled = (data - low) * (255.0 / (high - low)) if high > low else np.zeros_like(data)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    bands = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return bands, np.isnan(data).any(axis=0)


def _with_alpha(bands: Any, transparent: Any) -> Any:
    """Bands with an alpha band (added when there is none); `transparent` pixels get alpha 0."""
    import numpy as np

    if bands.shape[0] in (2, 4):
        if transparent is None:
            return bands
        bands = bands.copy()
        bands[-1][transparent] = 0
        return bands
    alpha = np.full(bands.shape[1:], 255, dtype=np.uint8)
    if transparent is not None:
        alpha[transparent] = 0
    return np.concatenate([bands, alpha[np.newaxis]], axis=0)


def _flatten_alpha(bands: Any) -> Any:
    # JPEG has no alpha: composite onto black, so transparent pixels come out black.
    import numpy as np

    if bands.shape[0] not in (2, 4):
        return bands
    alpha = bands[-1].astype(np.uint16)
    colour = bands[:-1].astype(np.uint16) * alpha // 255
    return colour.astype(np.uint8)


def _image(bands: Any) -> Any:
    import numpy as np
    from PIL import Image

    pixels = np.ascontiguousarray(np.moveaxis(bands, 0, -1))
    if pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    # uint8 (h, w), (h, w, 2|3|4) arrays become L, LA, RGB, RGBA images.
    return Image.fromarray(pixels)


def _save_image(image: Any, fmt: str, for_tile: bool = False) -> bytes:
    if fmt == "gif" and image.mode == "LA":
        image = image.convert("RGBA")  # GIF keeps transparency only when converting from RGBA
    buffer = io.BytesIO()
    options = _TILE_SAVE_OPTIONS if for_tile else _SAVE_OPTIONS
    image.save(buffer, format=_PIL_FORMATS[fmt], **options.get(fmt, {}))
    return buffer.getvalue()


def _georeference(
    bounds: list[float] | None, tile: TileCoord | None
) -> tuple[str, tuple[float, float, float, float]] | None:
    # Tile pixels lie on the Web Mercator grid: georeferencing them in degrees would misplace
    # rows at low zooms, so a tile is written in EPSG:3857 with its exact projected extent.
    if tile is not None:
        box = tile_box(tile)
        return WEB_MERCATOR, (box.west, box.south, box.east, box.north)
    if bounds is not None:
        west, south, east, north = bounds
        return WGS84, (west, south, east, north)
    return None


def _geotiff(
    bands: Any, georeference: tuple[str, tuple[float, float, float, float]] | None
) -> bytes:
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine

    count, height, width = bands.shape
    options: dict[str, Any] = {"compress": "deflate"}
    if count >= 3:
        options["photometric"] = "RGB"
    if count in (2, 4):
        options["alpha"] = "YES"
    if georeference is not None:
        crs, (west, south, east, north) = georeference
        options["crs"] = crs
        options["transform"] = Affine(
            (east - west) / width, 0.0, west, 0.0, -(north - south) / height, north
        )
    with warnings.catch_warnings():
        # A bare array without bounds is a plain TIFF; rasterio warns about that on purpose.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile() as memory:
            with memory.open(
                driver="GTiff",
                width=width,
                height=height,
                count=count,
                dtype="uint8",
                **options,
            ) as dataset:
                dataset.write(bands)
            payload: bytes = memory.read()
    return payload


def _npy(value: Any) -> bytes:
    import numpy as np

    image_module = sys.modules.get("PIL.Image")
    if image_module is not None and isinstance(value, image_module.Image):
        value = np.asarray(value)
    if isinstance(value, np.ma.MaskedArray):
        # .npy has no mask: masked floats become NaN, other dtypes keep their stored values.
        value = value.filled(np.nan) if value.dtype.kind == "f" else _masked(np.ma.getdata)(value)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(value), allow_pickle=False)
    return buffer.getvalue()


def _masked(function: Any) -> Callable[[Any], Any]:
    """A numpy.ma function as typed: numpy 2.3's stubs (Fused's numpy) leave numpy.ma untyped."""
    return cast("Callable[[Any], Any]", function)
