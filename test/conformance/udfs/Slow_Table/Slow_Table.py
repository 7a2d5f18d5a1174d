import fused


@fused.udf
def udf(seconds: float = 6.0):
    """Longer than the official client's 5 s request timeout, so it has to poll."""
    import time

    import pandas as pd

    time.sleep(seconds)
    return pd.DataFrame({"slept": [seconds]})
