import fused


@fused.udf
def udf(bounds: fused.types.Bounds = None, label: str = "cell"):
    """A vector tile: the tile's own outline, labelled."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({"label": [label]}, geometry=[shapely.box(*bounds)], crs=4326)
