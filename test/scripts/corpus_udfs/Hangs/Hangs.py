import fused


@fused.udf
def udf():
    import time

    time.sleep(600)
    return 1
