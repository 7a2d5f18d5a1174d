"""The FastAPI peer: a UDF file's own function behind FastAPI, as a hand-written server would be.

Tiles are encoded as PNG with Pillow, uncached, like the engine's `cache=false` runs.
"""

import io
import os
from typing import Any

import numpy as np
from fastapi import FastAPI, Response
from PIL import Image
from udf_file import load_udf, tile_bounds

trivial = load_udf(os.environ["PEER_TRIVIAL_UDF"])
tile = load_udf(os.environ["PEER_TILE_UDF"])
app = FastAPI()


@app.get("/trivial")
def run_trivial(n: int = 1) -> Any:
    return trivial(n=n)


@app.get("/tiles/{z}/{x}/{y}.png")
def run_tile(z: int, x: int, y: int) -> Response:
    pixels = np.asarray(tile(bounds=tile_bounds(z, x, y)))
    image = Image.fromarray(np.moveaxis(pixels, 0, -1) if pixels.ndim == 3 else pixels)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")
