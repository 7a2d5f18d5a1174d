import fused


@fused.udf
def udf(n: int = 3):
    import pandas as pd

    return pd.DataFrame({"i": list(range(n))})
