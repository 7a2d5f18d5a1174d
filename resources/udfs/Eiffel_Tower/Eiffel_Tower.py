# `fused` needs no import here: the runtime provides the name to the module, as Fused does.
@fused.udf
def udf():
    """The Eiffel Tower as a one-row GeoDataFrame (EPSG:4326)."""
    import geopandas as gpd
    from shapely.geometry import Point

    return gpd.GeoDataFrame(
        {
            "name": ["Eiffel Tower"],
            "city": ["Paris"],
            "height_m": [330],
            "opened": [1889],
        },
        geometry=[Point(2.2945, 48.8584)],
        crs="EPSG:4326",
    )
