import fused


@fused.udf
def udf(message: str = "boom"):
    """Raises, so clients can see the error and its line."""
    print("about to fail")
    raise ValueError(message)
