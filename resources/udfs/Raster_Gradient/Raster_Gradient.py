import fused

SIZE = 256  # pixels per side, the usual web-map tile size
DEFAULT_BOUNDS = [2.25, 48.83, 2.40, 48.90]


@fused.udf
def udf(bounds: fused.types.Bounds = None, palette: str = "rgb"):
    """A 256x256 uint8 image coloured by where the tile is on Earth.

    red   = longitude (-180 -> 0, 180 -> 255)
    green = latitude (-85 -> 0, 85 -> 255)
    blue  = vertical stripes two tiles wide, so horizontally neighbouring tiles at any zoom
            are clearly different and the pattern still joins up across tile edges.
    palette "rgb" returns bands-first (3, 256, 256); "grey" returns one (256, 256) band.
    """
    import numpy as np

    xmin, ymin, xmax, ymax = [float(v) for v in (bounds if bounds is not None else DEFAULT_BOUNDS)]
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be [xmin, ymin, xmax, ymax], got {list(bounds)}")
    if palette not in ("rgb", "grey"):
        raise ValueError(f'palette must be "rgb" or "grey", got {palette!r}')

    # Pixel centres; row 0 is the top (north) edge of the tile.
    half = 0.5 / SIZE
    lon = xmin + (xmax - xmin) * np.linspace(half, 1 - half, SIZE)
    lat = ymax - (ymax - ymin) * np.linspace(half, 1 - half, SIZE)
    lon2d, lat2d = np.meshgrid(lon, lat)

    red = (lon2d + 180.0) / 360.0
    green = (np.clip(lat2d, -85.0, 85.0) + 85.0) / 170.0
    blue = 0.5 + 0.5 * np.sin(np.pi * lon2d / (xmax - xmin))

    def to_byte(channel):
        return np.clip(np.rint(channel * 255.0), 0, 255).astype(np.uint8)

    if palette == "grey":
        return to_byte(0.3 * red + 0.3 * green + 0.4 * blue)
    return np.stack([to_byte(red), to_byte(green), to_byte(blue)])
