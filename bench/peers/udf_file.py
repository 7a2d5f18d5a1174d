"""A UDF file's own function, outside UDF Studio, for the peers to call.

The file is executed as it is, with a stand-in for the two names of `fused` the bench's UDFs use
(the decorator and the Bounds type), so a peer runs the very code the engine runs.
"""

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable


def load_udf(path: str) -> Callable[..., Any]:
    stand_in = SimpleNamespace(udf=lambda function: function, types=SimpleNamespace(Bounds=list))
    namespace: dict[str, Any] = {"fused": stand_in}
    exec(compile(Path(path).read_text(), path, "exec"), namespace)
    return namespace["udf"]


def tile_bounds(z: int, x: int, y: int) -> list[float]:
    """West, south, east, north in degrees of a Web Mercator tile."""

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2**z))))

    return [x / 2**z * 360 - 180, lat(y + 1), (x + 1) / 2**z * 360 - 180, lat(y)]
