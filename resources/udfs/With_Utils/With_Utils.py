# `fused` needs no import here: the runtime provides the name to the module, as Fused does.
@fused.udf
def udf(city: str = "Paris", k: int = 3):
    """The k cities nearest to `city`, computed by the helpers in the `utils` header module."""
    import pandas as pd
    from utils import CITIES, nearest_cities

    if not 1 <= k < len(CITIES):
        raise ValueError(f"k must be between 1 and {len(CITIES) - 1}, got {k}")

    df = pd.DataFrame(nearest_cities(city, k))
    df.insert(0, "rank", range(1, len(df) + 1))
    return df
