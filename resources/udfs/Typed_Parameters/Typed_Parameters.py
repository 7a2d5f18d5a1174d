import json
from typing import Optional

import fused


@fused.udf
def udf(
    count: int = 3,
    ratio: float = 0.25,
    enabled: bool = True,
    label: str = "demo",
    tags: list = ["alpha", "beta"],  # noqa: B006 (never mutated; shows a JSON default)
    options: dict = {"mode": "fast", "retries": 2},  # noqa: B006
    limit: Optional[int] = None,  # noqa: UP045 (Fused catalogue code spells it this way)
):
    """Echo every argument back as one row: its value and the Python type it arrived as.

    Useful to see how the runtime converts query-string and CLI values by annotation.
    """
    import pandas as pd

    values = {
        "count": count,
        "ratio": ratio,
        "enabled": enabled,
        "label": label,
        "tags": tags,
        "options": options,
        "limit": limit,
    }
    row = {}
    for name, value in values.items():
        # Lists and dicts are shown as JSON text so every column is a plain scalar.
        row[name] = json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value
        row[f"{name}_type"] = type(value).__name__
    return pd.DataFrame([row])
