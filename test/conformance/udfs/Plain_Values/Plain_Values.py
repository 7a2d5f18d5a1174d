import fused


@fused.udf
def udf(kind: str = "str"):
    """Simple values, as a script would return them."""
    values = {
        "str": "hello",
        "dict": {"a": 1, "b": [1, 2]},
        "int": 42,
        "none": None,
        "list": [1, 2, 3],
    }
    return values[kind]
