import fused


@fused.udf
def udf():
    """The time it ran, in nanoseconds: a cached answer repeats it."""
    import time

    return time.time_ns()
