import fused


@fused.udf
def udf(bounds: fused.types.Bounds = None):
    """A tile stamped with the time it was computed: a cached tile repeats its stamp."""
    import time

    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({"stamp": [time.time_ns()]}, geometry=[shapely.box(*bounds)], crs=4326)
