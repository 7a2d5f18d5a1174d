import fused


@fused.udf
def udf(count: int):
    return count
