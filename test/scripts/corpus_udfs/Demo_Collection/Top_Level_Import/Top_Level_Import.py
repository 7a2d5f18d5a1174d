import fused
import another_missing_package_for_corpus_test


@fused.udf
def udf():
    return another_missing_package_for_corpus_test.VALUE
