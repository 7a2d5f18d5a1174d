import fused


@fused.udf
def udf():
    import no_such_package_for_corpus_test

    return no_such_package_for_corpus_test.VALUE
