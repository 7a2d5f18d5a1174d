import fused


@fused.udf
def udf(word: str = "hello"):
    """Text from a header module: the header travels with the UDF."""
    from helpers import shout

    return shout(word)
