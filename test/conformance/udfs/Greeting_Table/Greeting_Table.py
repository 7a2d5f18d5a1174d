import fused


@fused.udf
def udf(name: str = "world", n: int = 3):
    """A table: one greeting per row."""
    import pandas as pd

    print(f"greeting {name} {n} times")
    return pd.DataFrame({"i": list(range(n)), "greeting": [f"Hello, {name}!"] * n})
