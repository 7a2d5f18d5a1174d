import fused

# Used when the UDF is called without a tile: central Paris.
DEFAULT_BOUNDS = [2.25, 48.83, 2.40, 48.90]
EIFFEL_TOWER = (2.2945, 48.8584)


@fused.udf
def udf(bounds: fused.types.Bounds = None, cells: int = 4):
    """A cells x cells grid of polygons covering the tile, plus each cell's centre point.

    Every feature carries `value`: the distance in km from its centre to the Eiffel Tower,
    so colouring by `value` gives a smooth gradient across neighbouring tiles.
    """
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import Point, box

    xmin, ymin, xmax, ymax = [float(v) for v in (bounds if bounds is not None else DEFAULT_BOUNDS)]
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be [xmin, ymin, xmax, ymax], got {list(bounds)}")
    if not 1 <= cells <= 64:
        raise ValueError(f"cells must be between 1 and 64, got {cells}")

    dx = (xmax - xmin) / cells
    dy = (ymax - ymin) / cells
    inset_x, inset_y = dx * 0.04, dy * 0.04  # a small gap so the cells read as a grid

    rows = []
    for row in range(cells):
        for col in range(cells):
            x0 = xmin + col * dx
            y0 = ymax - (row + 1) * dy  # row 0 is the top of the tile, as on a map
            cx, cy = x0 + dx / 2, y0 + dy / 2
            value = round(_distance_km(cx, cy, *EIFFEL_TOWER), 3)
            cell = box(x0 + inset_x, y0 + inset_y, x0 + dx - inset_x, y0 + dy - inset_y)
            common = {"row": row, "col": col, "value": value}
            rows.append({"kind": "cell", **common, "geometry": cell})
            rows.append({"kind": "centre", **common, "geometry": Point(cx, cy)})

    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf["value"] = gdf["value"].astype(np.float64)
    return gdf


def _distance_km(lon1, lat1, lon2, lat2):
    """Great-circle distance on a sphere of radius 6371 km."""
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))
