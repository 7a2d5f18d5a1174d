import fused


@fused.udf
def udf(bounds: fused.types.Bounds = None, size: int = 16):
    """A raster tile: a uint8 ramp, size x size."""
    import numpy as np

    row = np.linspace(0, 255, size, dtype="uint8")
    return np.tile(row, (size, 1))
