import fused


@fused.udf
def udf():
    return {"length": len(fused.secrets["CORPUS_TEST_SECRET"])}
