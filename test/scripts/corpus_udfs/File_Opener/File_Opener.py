import fused


@fused.udf
def udf(path: str = ""):
    import pandas as pd

    return pd.read_csv(path)
