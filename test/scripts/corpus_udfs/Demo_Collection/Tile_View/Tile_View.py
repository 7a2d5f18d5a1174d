import fused


@fused.udf
def udf(bounds: fused.types.Bounds = None):
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame({"v": [1]}, geometry=[box(*bounds)], crs="EPSG:4326")
