import fused


@fused.udf
def udf(path: str = ""):
    with open(path, "rb") as file:
        return {"size": len(file.read())}
