"""Writes the benchmark's Cloud-Optimized GeoTIFF: RGB, Web Mercator, tiled, with overviews.

usage: make_cog.py OUT.tif WEST SOUTH EAST NORTH (degrees)
"""

import sys

import numpy as np
import rasterio
from rasterio.shutil import copy as copy_dataset
from rasterio.transform import from_bounds
from rasterio.warp import transform_bounds

SIZE = 4096


def main(out: str, west: float, south: float, east: float, north: float) -> None:
    left, bottom, right, top = transform_bounds("EPSG:4326", "EPSG:3857", west, south, east, north)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype("float32") / SIZE
    noise = np.random.default_rng(7).integers(0, 24, (3, SIZE, SIZE), dtype="uint8")
    bands = np.stack([rows * 230, cols * 230, (rows + cols) * 115]).astype("uint8") + noise
    profile = {
        "driver": "GTiff", "width": SIZE, "height": SIZE, "count": 3, "dtype": "uint8",
        "crs": "EPSG:3857", "transform": from_bounds(left, bottom, right, top, SIZE, SIZE),
        "tiled": True, "blockxsize": 512, "blockysize": 512,
    }
    with rasterio.MemoryFile() as memory, memory.open(**profile) as dataset:
        dataset.write(bands)
        copy_dataset(dataset, out, driver="COG", compress="DEFLATE", overview_resampling="average")


if __name__ == "__main__":
    main(sys.argv[1], *map(float, sys.argv[2:6]))
