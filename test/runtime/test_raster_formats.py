"""Raster formats (png, gif, jpeg, webp, tiff, npy), scaling and drawing `(array, bounds)` into a
tile, read back with PIL, rasterio and numpy."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
import rasterio
import xarray as xr
from PIL import Image
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from fused import UdfResultError, encode_result
from fused._encoders.tile_png import encode_tile_png
from fused._encoders.web_mercator import tile_box
from fused._results import FORMATS, KIND_FORMATS
from fused._tiles import make_tile, tile_bounds

RASTER_FORMATS = ("png", "gif", "jpeg", "webp", "tiff", "npy")
IMAGE_FORMATS = ("png", "gif", "jpeg", "webp")
TILE = make_tile(10, 12, 5)


def image_of(payload: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(payload))
    image.load()
    return image


def rgb_array() -> np.ndarray:
    return np.stack([np.full((6, 8), value, np.uint8) for value in (10, 120, 240)])


def test_the_format_table_lists_every_raster_format_with_its_content_type():
    assert KIND_FORMATS["raster"] == RASTER_FORMATS
    assert {fmt: FORMATS[fmt] for fmt in RASTER_FORMATS} == {
        "png": "image/png",
        "gif": "image/gif",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "tiff": "image/tiff",
        "npy": "application/x-numpy-data",
    }


@pytest.mark.parametrize(
    ("fmt", "mode"), [("png", "RGB"), ("gif", "P"), ("jpeg", "RGB"), ("webp", "RGB")]
)
def test_images_have_the_arrays_size_and_their_formats_mode(fmt: str, mode: str):
    encoded = encode_result(rgb_array(), [fmt])
    assert (encoded.kind, encoded.format, encoded.content_type) == ("raster", fmt, FORMATS[fmt])
    image = image_of(encoded.payload)
    assert image.format == fmt.upper()
    assert (image.size, image.mode) == ((8, 6), mode)
    red, green, blue = image.convert("RGB").getpixel((3, 3))
    assert abs(red - 10) <= 4 and abs(green - 120) <= 4 and abs(blue - 240) <= 4


@pytest.mark.parametrize(("fmt", "mode"), [("png", "LA"), ("gif", "P"), ("webp", "RGBA")])
def test_nan_is_transparent_in_formats_with_alpha(fmt: str, mode: str):
    array = np.array([[1.0, 2.0], [3.0, np.nan]])
    image = image_of(encode_result(array, [fmt]).payload)
    assert image.mode == mode
    alpha = np.asarray(image.convert("RGBA"))[..., 3]
    assert alpha.tolist() == [[255, 255], [255, 0]]


def test_jpeg_has_no_alpha_transparent_pixels_become_black():
    grey = image_of(encode_result(np.array([[1.0, 2.0], [3.0, np.nan]]), ["jpg"]).payload)
    assert grey.mode == "L"
    rgba = np.zeros((4, 16, 16), np.uint8)
    rgba[:3] = 200
    rgba[3, :, :8] = 255  # left half opaque, right half transparent
    colour = np.asarray(image_of(encode_result(rgba, ["jpeg"]).payload))
    assert colour.shape == (16, 16, 3)
    assert colour[:, :6].min() >= 190 and colour[:, 10:].max() <= 10


def test_float_arrays_are_scaled_from_min_to_max():
    array = np.array([[-5.0, 0.0, 5.0], [np.nan, 2.5, -2.5]])
    image = image_of(encode_result(array, ["png"]).payload)
    grey = np.asarray(image)[..., 0]
    assert grey[0].tolist() == [0, 128, 255]
    assert grey[1, 1:].tolist() == [191, 64]
    assert np.asarray(image)[..., 1].tolist() == [[255, 255, 255], [0, 255, 255]]


def test_bands_last_arrays_are_accepted():
    bands_last = np.moveaxis(rgb_array(), 0, -1)
    assert bands_last.shape == (6, 8, 3)
    image = image_of(encode_result(bands_last, ["png"]).payload)
    assert (image.size, image.mode) == ((8, 6), "RGB")
    assert image.getpixel((0, 0)) == (10, 120, 240)
    ambiguous = np.zeros((3, 3, 3), np.uint8)  # bands first when both readings are possible
    assert image_of(encode_result(ambiguous, ["png"]).payload).size == (3, 3)


def test_pil_images_keep_their_mode_when_the_format_takes_it():
    palette = Image.new("P", (4, 3), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    assert image_of(encode_result(palette, ["png"]).payload).mode == "P"
    as_jpeg = image_of(encode_result(palette, ["jpeg"]).payload)
    assert as_jpeg.mode == "RGB"
    assert as_jpeg.getpixel((1, 1))[0] > 240
    sixteen = Image.fromarray(np.array([[0, 1000], [2000, 4000]], np.uint16))
    as_webp = image_of(encode_result(sixteen, ["webp"]).payload)
    assert as_webp.size == (2, 2)


def read_tiff(payload: bytes) -> tuple[dict[str, object], np.ndarray]:
    with MemoryFile(payload) as memory, memory.open() as dataset:
        profile = {
            "size": (dataset.width, dataset.height),
            "count": dataset.count,
            "crs": dataset.crs,
            "transform": dataset.transform,
            "bounds": tuple(dataset.bounds),
            "colorinterp": [interp.name for interp in dataset.colorinterp],
        }
        return profile, dataset.read()


def test_tiff_of_an_array_with_bounds_is_a_geotiff_in_epsg_4326():
    bounds = (10.0, 40.0, 12.0, 41.0)
    encoded = encode_result((rgb_array(), bounds), ["tif"])
    assert (encoded.format, encoded.content_type) == ("tiff", "image/tiff")
    profile, pixels = read_tiff(encoded.payload)
    assert profile["size"] == (8, 6) and profile["count"] == 3
    assert profile["crs"] == rasterio.crs.CRS.from_epsg(4326)
    assert profile["transform"] == Affine(2.0 / 8, 0.0, 10.0, 0.0, -1.0 / 6, 41.0)
    assert profile["bounds"] == bounds
    assert profile["colorinterp"] == ["red", "green", "blue"]
    assert pixels.tolist() == rgb_array().tolist()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_tiff_keeps_transparency_as_an_alpha_band_and_without_bounds_is_plain():
    profile, pixels = read_tiff(encode_result(np.array([[1.0, np.nan]]), ["tiff"]).payload)
    assert profile["crs"] is None
    assert profile["colorinterp"] == ["gray", "alpha"]
    assert pixels[:, 0, :].tolist() == [[0, 0], [255, 0]]


def test_tiff_in_tile_mode_is_the_tile_in_web_mercator():
    profile, _ = read_tiff(encode_result(np.zeros((64, 64), np.uint8), ["tiff"], tile=TILE).payload)
    assert profile["size"] == (64, 64)
    assert profile["crs"] == rasterio.crs.CRS.from_epsg(3857)
    box = tile_box(TILE)
    assert profile["bounds"] == pytest.approx((box.west, box.south, box.east, box.north))
    placed, pixels = read_tiff(
        encode_result((np.ones((4, 4)), tile_bounds(20, 24, 6)), ["tiff"], tile=TILE).payload
    )
    assert placed["size"] == (256, 256) and placed["colorinterp"] == ["gray", "alpha"]
    assert pixels[1, :128, :128].min() == 255 and pixels[1, 128:, :].max() == 0


def test_npy_is_the_array_as_returned():
    array = np.array([[1.5, np.nan], [-3.0, 7.25]], dtype=np.float32)
    encoded = encode_result(array, ["npy"])
    assert encoded.content_type == "application/x-numpy-data"
    loaded = np.load(io.BytesIO(encoded.payload), allow_pickle=False)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)
    with_bounds = encode_result((array, tile_bounds(20, 24, 6)), ["npy"], tile=TILE)
    np.testing.assert_array_equal(np.load(io.BytesIO(with_bounds.payload)), array)
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    assert np.isnan(np.load(io.BytesIO(encode_result(masked.reshape(1, 2), ["npy"]).payload))[0, 1])
    image = Image.new("RGB", (3, 2), (1, 2, 3))
    assert np.load(io.BytesIO(encode_result(image, ["npy"]).payload)).shape == (2, 3, 3)
    data_array = xr.DataArray(np.arange(6, dtype=np.int16).reshape(2, 3))
    loaded = np.load(io.BytesIO(encode_result(data_array, ["npy"]).payload))
    assert (loaded.dtype, loaded.tolist()) == (np.int16, [[0, 1, 2], [3, 4, 5]])


def alpha_and_grey(payload: bytes) -> tuple[np.ndarray, np.ndarray]:
    image = image_of(payload)
    assert (image.size, image.mode) == ((256, 256), "LA")
    pixels = np.asarray(image)
    return pixels[..., 1], pixels[..., 0]


@pytest.mark.parametrize(
    ("child", "rows", "columns"),
    [((20, 24), slice(0, 128), slice(0, 128)), ((21, 25), slice(128, 256), slice(128, 256))],
)
def test_a_quarter_tile_array_lands_in_its_quarter(
    child: tuple[int, int], rows: slice, columns: slice
):
    array = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10 + 5
    bounds = tile_bounds(child[0], child[1], 6)  # a child tile: one quarter of TILE
    alpha, grey = alpha_and_grey(encode_result((array, bounds), ["png"], tile=TILE).payload)
    expected = np.zeros((256, 256), bool)
    expected[rows, columns] = True
    np.testing.assert_array_equal(alpha == 255, expected)
    assert (alpha[~expected] == 0).all()
    quarter = grey[rows, columns]
    assert quarter[0, 0] == 5 and quarter[-1, -1] == 155
    assert quarter[0, 127] == 35 and quarter[127, 0] == 125  # nearest neighbour, north up


def test_an_array_covering_the_tile_fills_it_and_one_elsewhere_leaves_it_empty():
    west, south, east, north = tile_bounds(TILE.x, TILE.y, TILE.z)
    around = (west - 1, south - 1, east + 1, north + 1)
    alpha, _ = alpha_and_grey(encode_result((np.ones((3, 3)), around), ["png"], tile=TILE).payload)
    assert (alpha == 255).all()
    away = (west - 10, south, west - 5, north)
    alpha, _ = alpha_and_grey(encode_result((np.ones((3, 3)), away), ["png"], tile=TILE).payload)
    assert (alpha == 0).all()


def test_placed_rgb_tiles_are_rgba_and_work_for_every_image_format():
    for fmt in IMAGE_FORMATS:
        encoded = encode_result((rgb_array(), tile_bounds(20, 24, 6)), [fmt], tile=TILE)
        image = image_of(encoded.payload)
        assert image.size == (256, 256), fmt
    assert image_of(
        encode_result((rgb_array(), tile_bounds(20, 24, 6)), ["png"], tile=TILE).payload
    ).mode == ("RGBA")


def test_a_bare_array_in_tile_mode_is_encoded_as_it_is():
    image = image_of(encode_result(rgb_array(), ["png"], tile=TILE).payload)
    assert (image.size, image.mode) == ((8, 6), "RGB")


def test_bounds_without_area_are_udf_err_result_in_tile_mode():
    with pytest.raises(UdfResultError, match="xmin < xmax") as caught:
        encode_result((np.ones((2, 2)), (5.0, 0.0, 1.0, 1.0)), ["png"], tile=TILE)
    assert caught.value.code == "UDF_ERR_RESULT"


@pytest.mark.parametrize("fmt", ["csv", "mvt", "parquet", "geojson"])
def test_a_raster_does_not_take_table_formats(fmt: str):
    with pytest.raises(UdfResultError) as caught:
        encode_result(np.zeros((2, 2), np.uint8), [fmt], tile=TILE)
    assert caught.value.code == "UDF_ERR_FORMAT"
    assert "png, gif, jpeg, webp, tiff, npy" in caught.value.message


def zlib_level(png: bytes) -> int:
    """The FLEVEL field of the first IDAT chunk's zlib header (0 fastest ... 3 maximum)."""
    start = png.index(b"IDAT") + 4
    return png[start + 1] >> 6


def test_tile_pngs_take_zlibs_fastest_level_and_other_pngs_its_default():
    noise = np.random.default_rng(3).integers(0, 255, (3, 256, 256), dtype=np.uint8)
    tile_png = encode_result(noise, ["png"], {}, TILE).payload
    file_png = encode_result(noise, ["png"], {}).payload
    assert (zlib_level(tile_png), zlib_level(file_png)) == (0, 2)
    assert np.array_equal(np.moveaxis(np.asarray(image_of(tile_png)), -1, 0), noise)
    assert np.array_equal(np.moveaxis(np.asarray(image_of(file_png)), -1, 0), noise)


def scanline_filters(png: bytes, width: int, bands: int) -> set[int]:
    """The filter byte of every row of a PNG written as one IDAT chunk."""
    start = png.index(b"IDAT")
    length = int.from_bytes(png[start - 4 : start], "big")
    raw = zlib.decompress(png[start + 4 : start + 4 + length])
    stride = width * bands + 1
    return {raw[row * stride] for row in range(len(raw) // stride)}


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
@pytest.mark.parametrize(("bands", "mode"), [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_tile_pngs_of_every_band_count_read_back_exactly_with_the_up_filter(bands: int, mode: str):
    pixels = np.random.default_rng(bands).integers(0, 255, (bands, 256, 256), dtype=np.uint8)
    if bands in (2, 4):
        pixels[-1, :, :100] = 255  # an opaque part, so the alpha band is kept as it is
    png = encode_result(pixels, ["png"], {}, TILE).payload
    image = image_of(png)
    assert (image.format, image.mode, image.size) == ("PNG", mode, (256, 256))
    read = np.asarray(image)
    assert np.array_equal(read[np.newaxis] if bands == 1 else np.moveaxis(read, -1, 0), pixels)
    assert scanline_filters(png, 256, bands) == {2}
    with MemoryFile(png) as memory, memory.open() as dataset:
        assert np.array_equal(dataset.read(), pixels)


def test_tile_pngs_of_smooth_and_flat_coloured_tiles_are_about_as_small_as_pils():
    rows, cols = np.mgrid[0:256, 0:256]
    smooth = np.stack([rows, cols, (rows + cols) // 2]).astype(np.uint8)
    flat = np.stack([np.where((rows // 32 + cols // 48) % 2 == 0, 200, 40)] * 3).astype(np.uint8)
    for pixels in (smooth, flat):
        ours = encode_result(pixels, ["png"], {}, TILE).payload
        assert np.array_equal(np.moveaxis(np.asarray(image_of(ours)), -1, 0), pixels)
        pils = io.BytesIO()
        Image.fromarray(np.moveaxis(pixels, 0, -1)).save(pils, format="PNG", compress_level=1)
        assert len(ours) < 2 * len(pils.getvalue()) and len(ours) < pixels.nbytes / 20


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((5, 4, 4), np.uint8), np.zeros((3, 4, 4), np.uint16), np.zeros((3, 0, 4), np.uint8)],
)
def test_the_tile_png_writer_refuses_what_png_cannot_hold(pixels: np.ndarray):
    with pytest.raises(ValueError, match="1 to 4 uint8 bands"):
        encode_tile_png(pixels)
