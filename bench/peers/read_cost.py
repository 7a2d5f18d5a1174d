"""CPU time of one call of a tile UDF's function in this Python, alone: the read every server pays.

usage: read_cost.py UDF_FILE Z X Y CALLS -> one JSON line: ms per call, rasterio's and GDAL's versions
"""

import json
import sys
import time

import rasterio
from udf_file import load_udf, tile_bounds


def main(path: str, z: int, x: int, y: int, calls: int) -> None:
    udf = load_udf(path)
    bounds = tile_bounds(z, x, y)
    udf(bounds=bounds)
    started = time.process_time()
    for _ in range(calls):
        udf(bounds=bounds)
    ms = (time.process_time() - started) / calls * 1000
    print(json.dumps({"ms": ms, "rasterio": rasterio.__version__, "gdal": rasterio.__gdal_version__}))


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:6]))
