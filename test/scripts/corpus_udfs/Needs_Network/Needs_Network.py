import fused


@fused.udf
def udf():
    import pandas as pd

    # .invalid names never resolve (RFC 2606), with or without a network.
    return pd.read_csv("http://no-such-host.invalid/data.csv")
