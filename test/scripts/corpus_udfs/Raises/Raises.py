import fused


@fused.udf
def udf():
    raise ValueError("boom on purpose")
