"""The FastAPI peer: a UDF file's own function behind FastAPI, as a hand-written server would be.

The UDF file is executed as it is, with a stand-in for the two names of `fused` it uses (the
decorator and the Bounds type), so the peer runs the very code the engine runs. Tiles are encoded
as PNG with Pillow, uncached, like the engine's `cache=false` runs.
"""

import io
import math
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
from fastapi import FastAPI, Response
from PIL import Image


def _load(path: str) -> Callable[..., Any]:
    stand_in = SimpleNamespace(udf=lambda function: function, types=SimpleNamespace(Bounds=list))
    namespace: dict[str, Any] = {"fused": stand_in}
    exec(compile(Path(path).read_text(), path, "exec"), namespace)
    return namespace["udf"]


def _tile_bounds(z: int, x: int, y: int) -> list[float]:
    """West, south, east, north in degrees of a Web Mercator tile."""

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2**z))))

    return [x / 2**z * 360 - 180, lat(y + 1), (x + 1) / 2**z * 360 - 180, lat(y)]


trivial = _load(os.environ["PEER_TRIVIAL_UDF"])
tile = _load(os.environ["PEER_TILE_UDF"])
app = FastAPI()


@app.get("/trivial")
def run_trivial(n: int = 1) -> Any:
    return trivial(n=n)


@app.get("/tiles/{z}/{x}/{y}.png")
def run_tile(z: int, x: int, y: int) -> Response:
    pixels = np.asarray(tile(bounds=_tile_bounds(z, x, y)))
    image = Image.fromarray(np.moveaxis(pixels, 0, -1) if pixels.ndim == 3 else pixels)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")
