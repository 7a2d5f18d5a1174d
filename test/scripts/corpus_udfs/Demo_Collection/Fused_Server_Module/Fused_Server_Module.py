import fused


@fused.udf
def udf():
    from job2.ai import AiModel

    return {"model": str(AiModel)}
