import fused


@fused.udf
def udf():
    import requests

    token = fused.secrets["CORPUS_API_TOKEN"]
    answer = requests.get(
        "http://api-host.invalid/v1/items", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return answer.json()
