import fused


@fused.udf
def udf():
    base = fused.api.airtable_connect()
    return base.list_bases()
