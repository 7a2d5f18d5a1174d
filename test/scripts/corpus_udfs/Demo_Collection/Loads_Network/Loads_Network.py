import fused


@fused.udf
def udf():
    import pandas as pd

    inner = fused.load("Needs_Network")
    frames = []
    try:
        frames.append(inner())
    except Exception as error:  # the UDF goes on without the data, and fails further on
        print(f"skipped: {error}")
    return pd.concat(frames)
