import fused


@fused.udf
def udf():
    import pandas as pd

    try:
        return pd.read_csv("http://quiet-host.invalid/data.csv")
    except Exception as error:  # reported as a table rather than raised
        return pd.DataFrame({"error": [f"{type(error).__name__}: {error}"]})
