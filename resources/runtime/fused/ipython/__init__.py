"""`fused.ipython`: the `%%udf NAME` cell magic for IPython and Jupyter.

`%load_ext fused` (or `fused.load_ipython_extension(get_ipython())`) registers it; a cell
starting with `%%udf my_udf` then defines the UDF in its body and binds it to `my_udf` in the
notebook, as `fused.load` of that code would.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """Register the `%%udf` cell magic with an IPython shell."""
    try:
        # By name: IPython is optional, and ships no types this package could check against.
        magic = import_module("IPython.core.magic")
    except ImportError as missing:
        raise ImportError(
            f"the %%udf magic needs IPython, which is not installed here ({missing})"
        ) from None

    def udf(self: Any, line: str, cell: str) -> None:
        name = line.strip()
        if not name.isidentifier():
            raise ValueError(f"%%udf needs a Python name for the UDF, got {line!r}")
        from .._load import load_code

        self.shell.user_ns[name] = load_code(cell, name=name)

    magics = magic.magics_class(type("UdfMagics", (magic.Magics,), {"udf": magic.cell_magic(udf)}))
    ipython.register_magics(magics)
