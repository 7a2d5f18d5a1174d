import fused


@fused.udf
def team_greeting(name: str = "team"):
    """A UDF in a collection folder, whose function is not called udf."""
    return f"Hi from the collection, {name}"
