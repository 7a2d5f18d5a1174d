# `fused` needs no import here: the runtime provides the name to the module, as Fused does.
@fused.udf
def udf(name: str = "world", n: int = 3):
    """Greet `name` n times, one row per greeting."""
    import pandas as pd

    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    n = min(n, 1000)  # a greeting table, not a load test

    return pd.DataFrame(
        {
            "i": list(range(1, n + 1)),
            "greeting": [f"Hello, {name}! ({i} of {n})" for i in range(1, n + 1)],
            "name_length": [len(name)] * n,
        }
    )
