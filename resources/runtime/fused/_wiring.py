"""Hands the `Udf` model the layers above it: running a call, submitting many, loading code.

`Udf.__call__`, `Udf.map` and `Udf.from_gist` need `_call`, `_submit` and `_load`, which import
`_udf` themselves; importing them from `_udf` would close a cycle, so they are passed in here,
once, when `fused/__init__` imports this module (before any UDF can run).
"""

from __future__ import annotations

from ._call import check_run_options, run_call
from ._load import load_code
from ._submit import submit
from ._udf import Actions, set_actions

set_actions(
    Actions(
        check_run_options=check_run_options,
        run_call=run_call,
        submit=submit,
        load_code=load_code,
    )
)
