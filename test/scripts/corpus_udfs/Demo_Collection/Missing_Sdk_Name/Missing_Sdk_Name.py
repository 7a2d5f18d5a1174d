import fused


@fused.udf
def udf():
    return fused.no_such_sdk_name_for_corpus_test()
